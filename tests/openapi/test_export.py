import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from django_fastapi.application import get_application
from django_fastapi.openapi.export import openapi_json, schema_is_current

SAMPLE_SITE = Path(__file__).resolve().parents[2] / "sample_site"


def run(*args: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("fastapi_routes", *args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def sample_site(*args: str, hash_seed: str = "0") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "manage.py", "fastapi_routes", *args],
        cwd=SAMPLE_SITE, env={**env, "PYTHONHASHSEED": hash_seed}, capture_output=True, timeout=60,
    )


def test_schema_export_byte_identical_across_processes(tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    for target, seed in [(first, "1"), (second, "2")]:
        result = sample_site("--openapi", "--document", "v2", "--output", str(target), hash_seed=seed)
        assert result.returncode == 0, result.stderr
    assert first.read_bytes() == second.read_bytes()


def test_schema_export_keys_sorted():
    text = openapi_json(get_application())
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_schema_export_document_option_selects_document():
    with override_settings(FASTAPI_AUDIENCES={"partners": {}}, FASTAPI_TITLE="Shop"):
        out, _ = run("--openapi", "--document", "partners")
    assert json.loads(out)["info"]["title"] == "Shop (partners)"


def test_schema_export_unknown_document_lists_known_ones():
    with pytest.raises(CommandError, match=r"No OpenAPI document 'nope'\. Documents: default\."):
        run("--openapi", "--document", "nope")


def test_schema_check_passes_on_committed_schema(tmp_path):
    target = tmp_path / "schema.json"
    run("--openapi", "--output", str(target))
    out, err = run("--check", str(target))
    assert out == "" and "matches" in err


def test_schema_check_fails_on_changed_schema(tmp_path):
    target = tmp_path / "schema.json"
    run("--openapi", "--output", str(target))
    with override_settings(FASTAPI_VERSION="9.9.9"):
        with pytest.raises(CommandError, match="differs from the live 'default' OpenAPI schema") as excinfo:
            run("--check", str(target))
    assert excinfo.value.returncode == 1


def test_schema_check_exits_non_zero_in_a_subprocess(tmp_path):
    target = tmp_path / "schema.json"
    assert sample_site("--openapi", "--output", str(target)).returncode == 0
    assert sample_site("--check", str(target)).returncode == 0
    schema = json.loads(target.read_text(encoding="utf-8"))
    del schema["paths"]["/api/catalog/books"]
    target.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    result = sample_site("--check", str(target))
    assert result.returncode == 1
    assert b"differs" in result.stderr


def test_schema_check_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("--check", str(tmp_path / "missing.json"))


def test_schema_is_current_compares_bytes(tmp_path):
    target = tmp_path / "schema.json"
    target.write_text(openapi_json(get_application()).rstrip("\n"), encoding="utf-8")
    assert not schema_is_current(get_application(), str(target))
