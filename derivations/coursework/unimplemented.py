"""What the student edition puts where a module-level solution used to be.

A solution region at module level (for example a derivation object defined at
the top of ``derivations/symbolic/parts/*.py``) is replaced by ``name = Unimplemented(...)``
for every name it defined, so the module still imports and any *use* of the
missing name fails with a message naming it and saying where to write it.
"""


class Unimplemented:
    """A stand-in for a name whose definition is an exercise.

    Calling it, or reading any attribute, raises ``NotImplementedError`` naming
    the missing definition and the file to write it in.
    """

    __slots__ = ("_name", "_where")

    def __init__(self, name, where):
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_where", where)

    def _fail(self):
        raise NotImplementedError(
            f"{object.__getattribute__(self, '_name')} is not written yet: it is an exercise; "
            f"define it in {object.__getattribute__(self, '_where')}")

    def __call__(self, *args, **kwargs):
        self._fail()

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        self._fail()

    def __repr__(self):
        return (f"<{object.__getattribute__(self, '_name')}: not written yet (an exercise; "
                f"define it in {object.__getattribute__(self, '_where')})>")
