"""The NumPy core: the functions, losses and checks the book derives, importable with NumPy alone.

* :mod:`.functions` — softmax, sigmoid, Leaky ReLU and their logs/derivatives, numerically stable.
* :mod:`.losses` — naive-softmax and negative-sampling loss and gradients (the reference solutions).
* :mod:`.skipgram` — the skip-gram loss and gradients over one context window, part (i).
* :mod:`.gradcheck` — central-difference gradient checks and the one-line comparison (``✓ name matches …``).
* :mod:`.arguments` — the argument checks every public function uses (clear errors, shapes).

Nothing here imports SymPy, ipywidgets or the coursework tools.
"""
from .functions import leaky_relu, leaky_relu_derivative, log_sigmoid, log_softmax, sigmoid, softmax
from .gradcheck import CheckFailed, GradcheckResult, check_gradients, compare, gradcheck
from .losses import naive_softmax_loss_and_gradient, neg_sampling_loss_and_gradient
from .skipgram import context_window, skipgram
