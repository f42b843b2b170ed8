"""The command line: help a technician can follow, clear errors, exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import ConfigError, load_config
from tests.campus import PASSWORD, PASSWORD_ENV, small_campus, write_yaml


@pytest.mark.parametrize(
    "command",
    ["check", "run", "coverage", "simulate", "demo", "import", "daily-report", "availability"],
)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert len(capsys.readouterr().out) > 200


def test_top_level_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("demo", "check", "run", "coverage", "simulate"):
        assert f"tianyan {command}" in out


def test_config_with_unknown_field_is_refused(tmp_path: Path):
    config = write_yaml(tmp_path / "config.yaml", {"site_map": "x.yaml", "pol": {}})
    with pytest.raises(ConfigError) as error:
        load_config(config)
    assert str(error.value) == f"{config}: pol: Extra inputs are not permitted"


def test_config_with_bad_listen_address(tmp_path: Path):
    config = write_yaml(tmp_path / "config.yaml", {"site_map": "x.yaml", "listen": "nowhere"})
    with pytest.raises(ConfigError) as error:
        load_config(config)
    assert str(error.value) == (
        f"{config}: listen: Value error, listen address 'nowhere' is not HOST:PORT"
    )


def test_a_site_map_given_as_config_gets_defaults(tmp_path: Path):
    site_map = write_yaml(tmp_path / "campus.yaml", small_campus([1, 2, 3, 4, 5, 6, 7, 8]))
    config = load_config(site_map)
    assert config.site_map_path == tmp_path / "campus.yaml"
    assert config.database_url.endswith(f"{tmp_path}/tianyan.sqlite")
    assert config.listen == ("127.0.0.1", 9847)
    assert (config.poll.down_after, config.poll.up_after) == (3, 2)


def test_database_option_overrides_the_file(tmp_path: Path):
    config = write_yaml(
        tmp_path / "config.yaml", {"site_map": "x.yaml", "database": "sqlite:///a.db"}
    )
    assert load_config(config, "sqlite:///b.db").database_url == "sqlite:///b.db"


def test_run_with_a_broken_site_map_exits_2_and_names_the_problem(
    tmp_path: Path, capsys, monkeypatch
):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    data = small_campus([1, 2, 3, 4, 5, 6, 7, 8])
    data["sites"][1]["campus"] = "south"
    write_yaml(tmp_path / "site-map.yaml", data)
    config = write_yaml(tmp_path / "config.yaml", {"site_map": "site-map.yaml"})
    assert main(["run", str(config), "--once"]) == 2
    err = capsys.readouterr().err
    assert "site 'east-lab': unknown campus 'south'" in err
    assert "site-map.yaml:" in err
    assert not (tmp_path / "tianyan.sqlite").exists()  # nothing applied


def test_coverage_of_a_never_polled_campus_shows_nobody_online(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    config = write_yaml(tmp_path / "campus.yaml", small_campus([1, 2, 3, 4, 5, 6, 7, 8]))
    assert main(["coverage", str(config), "--format", "json"]) == 0
    import json

    school = json.loads(capsys.readouterr().out)["school"]
    assert school["online"] == 0.0 and school["install"] == pytest.approx(5 / 6)


def test_maintenance_window_for_an_unknown_camera_is_refused(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    write_yaml(tmp_path / "site-map.yaml", small_campus([1, 2, 3, 4, 5, 6, 7, 8]))
    config = write_yaml(
        tmp_path / "config.yaml",
        {
            "site_map": "site-map.yaml",
            "maintenance": [
                {
                    "name": "巡检",
                    "cameras": ["cam-99"],
                    "every": "daily",
                    "at": "02:00",
                    "duration": "1h",
                }
            ],
        },
    )
    assert main(["run", str(config), "--once"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"tianyan: {config}: maintenance[0] '巡检': unknown camera 'cam-99'"
    )


def test_malformed_maintenance_window_is_a_config_error(tmp_path: Path):
    config = write_yaml(
        tmp_path / "config.yaml",
        {"site_map": "x.yaml", "maintenance": [{"name": "x", "all": True, "start": "soon"}]},
    )
    with pytest.raises(ConfigError) as error:
        load_config(config)
    assert str(error.value).startswith(f"{config}: maintenance[0] 'x':")
