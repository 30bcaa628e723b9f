"""The layers point one way: tui -> engine -> storage."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules_after_import(package: str) -> set[str]:
    code = (
        "import importlib, pkgutil, sys\n"
        f"pkg = importlib.import_module({package!r})\n"
        "for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return set(out.stdout.split())


def test_engine_never_imports_the_ui() -> None:
    loaded = _modules_after_import("engine")
    assert "engine.service" in loaded  # the walk really imported the package
    leaked = {m for m in loaded if m.split(".")[0] in ("textual", "tui", "themes")}
    assert not leaked


def test_storage_never_imports_engine_or_ui() -> None:
    loaded = _modules_after_import("storage")
    assert "storage.messages" in loaded
    leaked = {m for m in loaded if m.split(".")[0] in ("textual", "tui", "engine", "themes")}
    assert not leaked


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_tui_reaches_data_only_through_the_engine() -> None:
    offenders = {}
    for path in (ROOT / "tui").rglob("*.py"):
        bad = _imports(path) & {"storage", "aiosqlite", "sqlite3", "imapclient", "smtplib"}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_sql_lives_only_in_storage() -> None:
    offenders = []
    for top in ("engine", "tui"):
        for path in (ROOT / top).rglob("*.py"):
            if _imports(path) & {"sqlite3", "aiosqlite"}:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_provider_libraries_load_only_when_a_token_is_needed() -> None:
    """msal and requests take a fifth of a second to import: not at every start."""
    code = ("import sys, tui.cli, engine.service\n"
            "print(' '.join(m for m in ('msal', 'requests') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_headless_command_loads_no_console_templates_or_dns() -> None:
    """Every command starts with the whole parser built: none of its modules may pull in
    Textual (a tenth of a second and more), Jinja2 or dnspython; the commands that need
    them import them when they run."""
    code = ("import sys\nfrom tui.cli import build_parser\n"
            "build_parser().parse_args(['sync', '--once'])\n"
            "print(' '.join(m for m in ('textual', 'jinja2', 'dns', 'msal', 'requests')"
            " if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == ""
