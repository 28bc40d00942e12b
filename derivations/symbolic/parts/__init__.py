"""Every derivation of the book, one module per group of parts.

Each module exposes ``derivations() -> list[Derivation]`` in chapter order;
:func:`all_derivations` collects them all (the benchmark and the drift test use it).
"""
import functools
import importlib
import pkgutil


def all_derivations():
    """Every :class:`~derivations.symbolic.engine.Derivation` in ``derivations/symbolic/parts/``, by label.

    Built once per process (each is built in every world, which takes seconds) and shared:
    copy a derivation before changing it. Raises ``ValueError`` if two derivations share a
    label: chapters cite them by it.
    """
    return dict(_all_derivations())


@functools.lru_cache(maxsize=1)
def _all_derivations():
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if not hasattr(module, "derivations"):
            raise ValueError(f"derivations/symbolic/parts/{info.name}.py must define derivations() "
                             "returning its Derivation objects")
        for d in module.derivations():
            if d.label in found:
                raise ValueError(f"two derivations are labelled {d.label!r} "
                                 f"(in {info.name} and {found[d.label][0]})")
            found[d.label] = (info.name, d)
    return tuple((label, d) for label, (_, d) in found.items())
