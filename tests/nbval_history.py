"""pytest plugin (loaded by tests/pytest.ini with -p): nbval executes cells as Jupyter does.

It is a plugin rather than conftest code because conftest.py files in tests/ are
not loaded when pytest is given only notebooks (e.g. `pytest book/x.ipynb`).
"""
import nbval.kernel


def _execute_like_jupyter(self, cell_input, allow_stdin=None):
    # nbval 0.11 executes with store_history=False. IPython decides whether a
    # trailing ";" silences a cell from the last *history* entry, so under nbval
    # `plt.plot(...);` would print a repr that Jupyter (and the stored output)
    # never shows. Executing as Jupyter does keeps the comparison honest.
    return self.kc.execute(cell_input, store_history=True, allow_stdin=allow_stdin,
                           stop_on_error=False)


nbval.kernel.RunningKernel.execute_cell_input = _execute_like_jupyter
