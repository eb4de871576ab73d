"""`weft-compat`: every subcommand is listed, and a wrong one is a usage error."""

from __future__ import annotations

import pytest

from weft_compat.cli import COMMANDS, main


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    shown = capsys.readouterr().out
    for name in ("migrate", "explain", "worker", "beat", "stop"):
        assert f"  {name} " in shown
    assert set(COMMANDS) == {
        "migrate",
        "explain",
        "worker",
        "beat",
        "stop",
        "status",
        "revoke",
        "inspect",
        "purge",
        "drain",
    }


def test_no_subcommand_prints_the_help_and_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 2
    assert "commands:" in capsys.readouterr().err


def test_an_unknown_subcommand_names_itself_and_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["wroker"]) == 2
    assert "unknown command 'wroker'; use one of migrate, explain, worker, beat, stop" in (
        capsys.readouterr().err
    )


def test_each_subcommand_answers_help(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("migrate", "worker", "stop"):
        with pytest.raises(SystemExit) as raised:
            main([name, "--help"])
        assert raised.value.code == 0
        assert f"weft-compat {name}" in capsys.readouterr().out
