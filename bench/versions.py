"""Versions of the code a run depends on (DESIGN section 6).

A run's record stores one version per component it depends on: the env family's code, the
agent's code, the tuned hyperparameters it used, and the protocol that writes numbers into
records. When a component's version changes, the record is *stale* and the page says which
component changed; other records stay valid.

A version hashes code, not its comments or docstrings: Python sources are hashed token by token
with comments, blank lines and docstrings left out, so rewording a docstring keeps every record.
The code of a component is the closure of the repository modules its root modules import
(statically, every ``import`` statement in the file, lazy ones included), plus the data files of
an env family.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import tokenize
from functools import lru_cache
from pathlib import Path
from typing import Any

from agents.registry import REPO_ROOT

PACKAGES = ("envs", "agents", "bench", "sweeps")
"""Top-level packages of this repository (imports of anything else are not followed)."""
DATA_SUFFIXES = (".npz", ".npy", ".json", ".yaml")
"""Data files hashed with an env family's code (its committed datasets)."""
PROTOCOL_MODULES = {"rl": ("bench.runner", "bench.evaluation"), "supervised": ("bench.supervised",)}
"""Modules that turn a trained agent into the numbers of a record, per kind of run."""
DIGITS = 16


def digest(parts: list[bytes]) -> str:
    """SHA-256 of ``parts`` (16 hex digits)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()[:DIGITS]


def data_version(data: Any) -> str:
    """Version of a JSON-able value (tuned hyperparameters): its canonical JSON, hashed."""
    return digest([json.dumps(data, sort_keys=True, default=str).encode()])


def _docstring_lines(tree: ast.AST) -> set[int]:
    """First lines of every docstring and bare string statement of a module."""
    lines = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for stmt in body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str):
                lines.add(stmt.lineno)
    return lines


@lru_cache(maxsize=None)
def code_tokens(path: Path) -> bytes:
    """The code of a Python file as its tokens, without comments, blank lines and docstrings
    (a string statement: a docstring or a string used as a comment)."""
    source = path.read_text()
    skip = _docstring_lines(ast.parse(source))
    ignored = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING}
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in ignored or (tok.type == tokenize.STRING and tok.start[0] in skip):
            continue
        out.append(tok.string if tok.type != tokenize.NEWLINE else "\n")
    return " ".join(out).encode()


def module_path(name: str) -> Path | None:
    """File of the repository module ``name`` (``agents.sb3`` -> ``agents/sb3.py``), or None."""
    if name.split(".")[0] not in PACKAGES:
        return None
    base = REPO_ROOT.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imported(path: Path, name: str) -> set[str]:
    """Names of the modules imported anywhere in ``path`` (module ``name``), candidates included
    (``from a import b`` names both ``a`` and ``a.b``)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


@lru_cache(maxsize=None)
def closure(roots: tuple[str, ...], exclude: tuple[str, ...] = ()) -> tuple[Path, ...]:
    """Files of the repository modules ``roots`` import, transitively, with their parent
    packages' ``__init__``; modules under a prefix in ``exclude`` are left out (and not followed)."""
    seen: dict[str, Path] = {}
    todo = list(roots)
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):
            module = ".".join(parts[:i])
            if module in seen or any(module == e or module.startswith(e + ".") for e in exclude):
                continue
            path = module_path(module)
            if path is None:
                continue
            seen[module] = path
            todo.extend(_imported(path, module))
    return tuple(sorted(set(seen.values())))


def files_version(files: tuple[Path, ...]) -> str:
    """Version of ``files``: Python code as :func:`code_tokens`, other files as bytes."""
    parts = []
    for path in files:
        parts.append(str(path.relative_to(REPO_ROOT)).encode())
        parts.append(code_tokens(path) if path.suffix == ".py" else path.read_bytes())
    return digest(parts)


@lru_cache(maxsize=None)
def modules_version(roots: tuple[str, ...], exclude: tuple[str, ...] = (), data_dirs: tuple[str, ...] = ()) -> str:
    """Version of the closure of ``roots`` (see :func:`closure`) and of the data files under
    the repository folders ``data_dirs``."""
    files = list(closure(roots, exclude))
    for folder in data_dirs:
        files += [p for p in (REPO_ROOT / folder).rglob("*") if p.suffix in DATA_SUFFIXES and p.is_file()]
    return files_version(tuple(sorted(set(files))))


@lru_cache(maxsize=None)
def env_version(env_id: str) -> str:
    """Version of the code and data of ``env_id``'s family: the closure of its entry-point
    modules, other families' packages left out (``envs/__init__`` imports every family lazily)."""
    import gymnasium as gym

    import envs  # noqa: F401 - registers the ids

    spec = gym.spec(env_id)
    modules = tuple(sorted({str(e).split(":")[0] for e in (spec.entry_point, spec.vector_entry_point) if e}))
    package = modules[0].rsplit(".", 1)[0]
    siblings = {p.parent.name for p in (REPO_ROOT / "envs").glob("*/__init__.py")} - {package.split(".")[1]}
    return modules_version(modules, tuple(f"envs.{s}" for s in sorted(siblings)), (package.replace(".", "/"),))


def agent_version(name: str) -> str:
    """Version of agent ``name``'s code: the repository modules its registering module imports
    (env code excluded: the env component covers it), or a plugin's own source."""
    from agents import registry

    plugin = registry.plugin_source_version(name)
    if plugin is not None:
        return f"plugin-{plugin}"
    module = registry.agent_module(name)
    if module is None:
        raise ValueError(f"unknown agent {name!r}")
    return modules_version((module,), ("envs",))


@lru_cache(maxsize=None)
def protocol_version(kind: str) -> str:
    """Version of the modules that turn a trained agent into a record's numbers
    (:data:`PROTOCOL_MODULES`; only these files, not what they import)."""
    paths = (module_path(name) for name in PROTOCOL_MODULES[kind])
    return files_version(tuple(p for p in paths if p is not None))
