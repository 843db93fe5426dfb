"""Suite-wide set-up.

Triton (which torch loads through ``torch._dynamo`` when the first optimizer is built) segfaults when it is
imported after TensorFlow in the same process. The suite mixes PyTorch and Keras tests in one process, so load
torch's compiler stack first, before any test module imports TensorFlow.
"""

import importlib.util

if importlib.util.find_spec("torch") is not None:
    import torch._dynamo  # noqa: F401
