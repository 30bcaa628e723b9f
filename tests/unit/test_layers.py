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


def test_sync_starts_without_what_only_other_commands_use() -> None:
    """`frontdesk sync` is timed from process start: its start loads the sync engine and
    the Service, not the console's values (engine.models), account setup, OAuth2,
    message building, SMTP, search or the rules TOML; those load in the commands and
    methods that use them."""
    code = ("import sys\nfrom tui.cli import build_parser\n"
            "from engine.paths import resolve_db\nfrom engine.service import LocalService\n"
            "import engine.sync.cpu\n"
            "build_parser().parse_args(['--db', 'x.db', 'sync', '--once'])\n"
            "resolve_db('x.db')\n"
            "print(' '.join(m for m in sys.argv[1:] if m in sys.modules))\n")
    later = ("engine.models", "engine.setup.models", "engine.setup.presets",
             "engine.setup.plan", "engine.oauth.config", "engine.oauth.sign_in",
             "engine.compose", "engine.smtp", "engine.pop3.client", "engine.search.query",
             "engine.status", "engine.account_edit", "engine.ssh_keys",
             "tui.commands.rules_toml", "tui.commands.account_wizard_steps", "platformdirs")
    out = subprocess.run([sys.executable, "-c", code, *later], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == ""
