"""The site-map loader: line-numbered errors, directory merge, cross-references, `check`."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import yaml

import site_map.loader
from site_map.check import run_check
from site_map.credentials import CredentialError
from site_map.loader import LoadedSiteMap, Problem, SiteMapError, load_site_map
from site_map.model import SiteMap
from site_map.validate import check_site_map

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "site_maps"
GOOD = FIXTURES / "good"
BAD = FIXTURES / "bad"
WARN = FIXTURES / "warn"
ENV = {"TIANYAN_CAMERA_PASSWORD": "Camera-Env-Pa55"}
LITERAL_PASSWORD = "Fixture-Literal-Pa55"


def load_problems(name: str, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(SiteMapError) as caught:
        load_site_map(name, environ=ENV if environ is None else environ)
    assert str(caught.value) == "\n".join(str(p) for p in caught.value.problems)
    return [str(p) for p in caught.value.problems]


# Every broken fixture, pinned to its exact messages (loaded from inside bad/).
BAD_CASES: list[tuple[str, list[str]]] = [
    (
        "duplicate_id.yaml",
        [
            "duplicate_id.yaml:9: duplicate site id 'lab-3' (first defined at duplicate_id.yaml:7)",
            "duplicate_id.yaml:12: duplicate camera id 'cam-1' "
            "(first defined at duplicate_id.yaml:11)",
        ],
    ),
    (
        "unknown_campus.yaml",
        [
            "unknown_campus.yaml:8: site 'lab-3': unknown campus 'south'",
            "unknown_campus.yaml:13: nvr 'nvr-1': unknown campus 'east'",
        ],
    ),
    (
        "dangling_refs.yaml",
        [
            "dangling_refs.yaml:12: camera 'cam-1': unknown site 'gate-9'",
            "dangling_refs.yaml:14: camera 'cam-1': unknown nvr 'nvr-9'",
            "dangling_refs.yaml:16: camera 'cam-2': site 'gate-1' is listed twice",
            "dangling_refs.yaml:17: camera 'cam-2': unknown credentials 'ops'",
        ],
    ),
    (
        "missing_default_credentials.yaml",
        [
            "missing_default_credentials.yaml:9: nvr 'nvr-1': unknown credentials 'default' "
            "(the default when credentials is not given)",
            "missing_default_credentials.yaml:11: camera 'cam-1': unknown credentials 'default' "
            "(the default when onvif.credentials is not given)",
        ],
    ),
    (
        "unknown_category.yaml",
        [
            "unknown_category.yaml:7: site 'lab-3': unknown category 'labratory' "
            "(did you mean 'laboratory'?)",
            "unknown_category.yaml:8: site 'kiosk-1': unknown category 'kiosk' "
            "(declare it under categories:)",
        ],
    ),
    (
        "bad_host_url.yaml",
        [
            "bad_host_url.yaml:12: camera 'cam-7': onvif.host: "
            "'http://10.0.0.1' is not a host name or IP address",
        ],
    ),
    (
        "bad_recording.yaml",
        [
            "bad_recording.yaml:12: camera 'cam-1': nvr.schedule[0]: recording window from "
            "22:00 to 06:00 is empty (write two windows for one that crosses midnight)",
            "bad_recording.yaml:16: camera 'cam-2': nvr.schedule[0].days[0]: "
            "Input should be 'mon', 'tue', 'wed', 'thu', 'fri', 'sat' or 'sun'",
            "bad_recording.yaml:16: camera 'cam-2': nvr.schedule[0].from: "
            "'8:00' is not a time of day HH:MM (00:00 to 24:00)",
            "bad_recording.yaml:16: camera 'cam-2': nvr.schedule[0].to: "
            "'25:00' is not a time of day HH:MM (00:00 to 24:00)",
            "bad_recording.yaml:18: nvr 'nvr-1': timezone: "
            "unknown time zone 'Beijing' (give an IANA name such as Asia/Shanghai)",
            "bad_recording.yaml:19: nvr 'nvr-2': utc_times applies to hikvision NVRs only "
            "(dahua times are read as their protocol defines them)",
        ],
    ),
    (
        "bad_host_octet.yaml",
        [
            "bad_host_octet.yaml:9: camera 'cam-8': onvif.host: "
            "'10.0.0.300' is not a host name or IP address",
            "bad_host_octet.yaml:11: nvr 'nvr-1': host: "
            "'nvr 1.local' is not a host name or IP address",
            "bad_host_octet.yaml:11: nvr 'nvr-1': port: "
            "Input should be less than or equal to 65535",
        ],
    ),
    (
        "bad_ids.yaml",
        [
            "bad_ids.yaml:7: category 'bike shed': 'bike shed' is not a valid id "
            "(use up to 128 letters, digits, '.', '_' or '-', starting with a letter or digit)",
            "bad_ids.yaml:8: category 'kiosk': required_camera: unknown field "
            "(did you mean 'required_cameras'?)",
            "bad_ids.yaml:10: site '1001': id: 1001 is read as a number here; "
            'write it in quotes ("1001")',
            "bad_ids.yaml:11: site 'gate 2': id: 'gate 2' is not a valid id "
            "(use up to 128 letters, digits, '.', '_' or '-', starting with a letter or digit)",
            "bad_ids.yaml:13: camera 'cam-1': onvif.user: unknown field",
        ],
    ),
    (
        "negative_count.yaml",
        [
            "negative_count.yaml:2: retention_days: Input should be greater than or equal to 1",
            "negative_count.yaml:11: site 'lab-3': required_cameras: "
            "Input should be greater than or equal to 0",
            "negative_count.yaml:13: camera 'cam-1': nvr.channel: "
            "Input should be greater than or equal to 1",
        ],
    ),
    (
        "duplicate_key.yaml",
        [
            "duplicate_key.yaml:8: duplicate key 'campus' (first on line 6)",
            "duplicate_key.yaml:10: duplicate key 'cameras' (first on line 9)",
        ],
    ),
    (
        "not_mapping.yaml",
        ["not_mapping.yaml:1: the top level must be a mapping (school:, sites:, ...), not a list"],
    ),
    (
        "empty.yaml",
        ["empty.yaml: the top level must be a mapping (school:, sites:, ...), not an empty file"],
    ),
    (
        "unknown_field.yaml",
        [
            "unknown_field.yaml:2: campus: unknown field (did you mean 'campuses'?)",
            "unknown_field.yaml:9: site 'gate-1': cameras: unknown field",
            "unknown_field.yaml:11: camera 'cam-1': onvif: Field required",
            "unknown_field.yaml:13: camera 'cam-1': onvfi: unknown field (did you mean 'onvif'?)",
        ],
    ),
    (
        "missing_sections.yaml",
        [
            "missing_sections.yaml: school: Field required",
            "missing_sections.yaml: campuses: Field required",
            "missing_sections.yaml:2: targets.install: Input should be less than or equal to 1",
        ],
    ),
    (
        "missing_password_env.yaml",
        [
            "missing_password_env.yaml:5: credentials 'default': "
            "environment variable TIANYAN_NO_SUCH_PASSWORD is not set",
            "missing_password_env.yaml:8: credentials 'nvr': cannot read password file "
            f"{BAD / 'no-such-password.txt'}: No such file or directory",
            "missing_password_env.yaml:9: credentials 'both': "
            "give exactly one of password_env, password_file or password",
            "missing_password_env.yaml:10: credentials 'bad-env': password_env: "
            "not a valid environment variable name (password_env names the variable "
            "that holds the password, not the password itself)",
        ],
    ),
    (
        "nvr_channel_clash.yaml",
        [
            "nvr_channel_clash.yaml:12: camera 'cam-2': nvr 'nvr-1' channel 3 is already used "
            "by camera 'cam-1' (nvr_channel_clash.yaml:11)",
        ],
    ),
    (
        "same_address.yaml",
        [
            "same_address.yaml:9: nvr 'nvr-1': address cam-1.example.edu:80 is already used "
            "by camera 'cam-3' (same_address.yaml:13)",
            "same_address.yaml:12: camera 'cam-2': address 10.0.0.1:80 is already used "
            "by camera 'cam-1' (same_address.yaml:11)",
        ],
    ),
    (
        "roads.yaml",
        [
            "roads.yaml:9: road node 'x2': unknown site 'gate-9'",
            "roads.yaml:10: road node 'x1': location: "
            "a location needs either both x and y (metres) or both lat and lon",
            "roads.yaml:13: road edge 'x2' -> 'x3': unknown road node 'x3'",
        ],
    ),
    (
        # Entries invalid on their own are left out of the cross-reference
        # checks: cam-2's dangling 'lab-9' is not reported, cam-3's is.
        "salvage.yaml",
        [
            "salvage.yaml:9: site 'gate-1': required_cameras: "
            "Input should be a valid integer, unable to parse string as an integer",
            "salvage.yaml:10: site 'lab-3': unknown campus 'south'",
            "salvage.yaml:13: camera 'cam-2': onvif.host: "
            "'10.0.0.1/24' is not a host name or IP address",
            "salvage.yaml:14: camera 'cam-3': unknown site 'lab-9'",
            "salvage.yaml:14: camera 'cam-3': address 10.0.0.1:80 is already used "
            "by camera 'cam-1' (salvage.yaml:12)",
            "salvage.yaml:15: camera #4: Input should be a mapping",
        ],
    ),
    (
        "split_conflict",
        [
            "split_conflict/b.yaml:1: school: also set in split_conflict/a.yaml:1, "
            "to a different value (set it in one file only)",
            "split_conflict/b.yaml:6: credentials 'default': also defined in "
            "split_conflict/a.yaml:6 (define it in one file only)",
            "split_conflict/b.yaml:7: sites: Input should be a list",
        ],
    ),
    (
        "split_duplicate_id",
        [
            "split_duplicate_id/south.yaml:3: duplicate site id 'gate-1' "
            "(first defined at split_duplicate_id/north.yml:2)",
            "split_duplicate_id/south.yaml:5: camera 'cam-2': address 10.0.0.1:80 is already "
            "used by camera 'cam-1' (split_duplicate_id/north.yml:4)",
        ],
    ),
    ("empty_dir", ["empty_dir: no *.yaml or *.yml files in this directory"]),
    ("no_such_file.yaml", ["no_such_file.yaml: cannot read: no such file or directory"]),
]


# YAML syntax errors: libyaml's parser (used when PyYAML has it) and the
# pure-Python one word them differently; both are pinned.
SYNTAX_CASES: list[tuple[str, str, list[str]]] = [
    (
        "malformed.yaml",
        "libyaml",
        [
            "malformed.yaml:7: invalid YAML: while parsing a block collection (started on line 5): "
            "did not find expected '-' indicator",
        ],
    ),
    (
        "malformed.yaml",
        "python",
        [
            "malformed.yaml:7: invalid YAML: while parsing a block collection (started on line 5): "
            "expected <block end>, but found '<block mapping start>'",
        ],
    ),
    (
        "unclosed_flow.yaml",
        "libyaml",
        [
            "unclosed_flow.yaml:4: invalid YAML: while parsing a flow mapping "
            "(started on line 3): did not find expected ',' or '}'",
        ],
    ),
    (
        "unclosed_flow.yaml",
        "python",
        [
            "unclosed_flow.yaml:4: invalid YAML: while parsing a flow mapping "
            "(started on line 3): expected ',' or '}', but got ':'",
        ],
    ),
    (
        "split_with_error",
        "libyaml",
        [
            "split_with_error/b.yaml:3: invalid YAML: while parsing a flow mapping "
            "(started on line 2): did not find expected ',' or '}'",
            "split_with_error/c.yaml:1: the top level must be a mapping "
            "(school:, sites:, ...), not a list",
        ],
    ),
    (
        "split_with_error",
        "python",
        [
            "split_with_error/b.yaml:3: invalid YAML: while parsing a flow mapping "
            "(started on line 2): expected ',' or '}', but got '<stream end>'",
            "split_with_error/c.yaml:1: the top level must be a mapping "
            "(school:, sites:, ...), not a list",
        ],
    ),
]


def use_parser(variant: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if variant == "python":
        monkeypatch.setattr(site_map.loader, "_LOADER", site_map.loader._PyLineLoader)
    elif not yaml.__with_libyaml__:
        pytest.skip("PyYAML is built without libyaml")


@pytest.fixture(params=["libyaml", "python"])
def parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with each YAML parser."""
    use_parser(request.param, monkeypatch)
    return str(request.param)


@pytest.mark.parametrize(("name", "expected"), BAD_CASES, ids=[name for name, _ in BAD_CASES])
def test_bad_fixture_messages(
    name: str, expected: list[str], parser: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BAD)
    assert load_problems(name) == expected


@pytest.mark.parametrize(
    ("name", "variant", "expected"),
    SYNTAX_CASES,
    ids=[f"{name}-{variant}" for name, variant, _ in SYNTAX_CASES],
)
def test_yaml_syntax_error_messages(
    name: str, variant: str, expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_parser(variant, monkeypatch)
    monkeypatch.chdir(BAD)
    assert load_problems(name) == expected


def test_control_character_is_refused(tmp_path: Path, parser: str) -> None:
    path = tmp_path / "bell.yaml"
    path.write_text('school: S\ncampuses: [{id: north, name: "a\x07"}]\n', encoding="utf-8")
    with pytest.raises(SiteMapError) as caught:
        load_site_map(path, environ={})
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:2: invalid YAML: unacceptable character #x0007"
    ]


def test_every_bad_fixture_is_pinned() -> None:
    on_disk = {p.name for p in BAD.iterdir() if p.is_dir() or p.suffix in (".yaml", ".yml")}
    pinned = {name for name, _ in BAD_CASES} | {name for name, _, _ in SYNTAX_CASES}
    assert on_disk <= pinned
    assert len(on_disk) >= 12


def test_design_example_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BAD)
    with pytest.raises(SiteMapError) as caught:
        load_site_map("unknown_campus.yaml", environ=ENV)
    problem = caught.value.problems[0]
    assert problem == Problem("unknown_campus.yaml", 8, "site 'lab-3': unknown campus 'south'")


def test_problem_str() -> None:
    assert str(Problem("sites.yaml", 42, "boom")) == "sites.yaml:42: boom"
    assert str(Problem("sites.yaml", None, "boom")) == "sites.yaml: boom"


def test_path_as_given_is_the_display_name() -> None:
    with pytest.raises(SiteMapError) as caught:
        load_site_map(BAD / "unknown_campus.yaml", environ=ENV)
    assert caught.value.problems[0].file == str(BAD / "unknown_campus.yaml")


# ---------------------------------------------------------------- good maps


def test_good_campus_loads() -> None:
    loaded = load_site_map(GOOD / "campus.yaml", environ=ENV)
    sm = loaded.site_map
    assert loaded.warnings == ()
    assert [c.id for c in sm.campuses] == ["north", "south"]
    assert len(sm.sites) == 8 and len(sm.cameras) == 10 and len(sm.nvrs) == 2
    gate = sm.site_by_id()["north-gate-main"]
    assert gate.category == "gate"
    assert gate.requires == ("face_recognition", "vehicle_checkpoint")
    assert {s.category for s in sm.sites} >= {"gate", "laboratory", "canteen", "bike_shed"}
    assert loaded.base_dir == GOOD
    assert loaded.sources == (GOOD / "campus.yaml",)
    assert loaded.password("default") == "Camera-Env-Pa55"
    assert loaded.password("nvr") == "nvr-fixture-secret"
    with pytest.raises(CredentialError, match="unknown credentials 'nope'"):
        loaded.password("nope")


def test_directory_merges_to_the_same_map() -> None:
    single = load_site_map(GOOD / "campus.yaml", environ=ENV)
    split = load_site_map(GOOD / "campus.d", environ=ENV)
    assert split.site_map == single.site_map
    assert split.base_dir == GOOD / "campus.d"
    assert [p.name for p in split.sources] == ["00-school.yaml", "10-north.yaml", "20-south.yaml"]
    assert split.password("nvr") == "nvr-fixture-secret"


def test_directory_merge_cross_file_references_and_lines(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "school: S\ncampuses: [{id: north}]\n"
        "credentials: {default: {username: u, password_env: PW}}\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yml").write_text(
        "school: S\nsites:\n  - {id: g1, campus: north, category: gate}\n"
        "cameras:\n  - {id: c1, sites: [g1], onvif: {host: 10.0.0.1}}\n"
        "  - {id: c2, sites: [g2], onvif: {host: 10.0.0.2}}\n",
        encoding="utf-8",
    )
    (tmp_path / "notes.txt").write_text("school: ignored\n", encoding="utf-8")
    with pytest.raises(SiteMapError) as caught:
        load_site_map(tmp_path, environ={"PW": "x"})
    assert [str(p) for p in caught.value.problems] == [
        f"{tmp_path / 'b.yml'}:6: camera 'c2': unknown site 'g2'"
    ]


def test_environ_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIANYAN_CAMERA_PASSWORD", "From-Os-Environ")
    loaded = load_site_map(GOOD / "campus.yaml")
    assert loaded.password("default") == "From-Os-Environ"
    monkeypatch.delenv("TIANYAN_CAMERA_PASSWORD")
    with pytest.raises(SiteMapError, match="TIANYAN_CAMERA_PASSWORD is not set"):
        load_site_map(GOOD / "campus.yaml")


def test_yaml_anchors_and_merge_keys(tmp_path: Path) -> None:
    path = tmp_path / "anchors.yaml"
    path.write_text(
        "school: S\n"
        "campuses: [{id: north}]\n"
        "credentials: {default: {username: u, password_env: PW}}\n"
        "sites: [{id: g1, campus: north, category: gate}]\n"
        "cameras:\n"
        "  - &cam {id: c1, sites: [g1], onvif: {host: 10.0.0.1}}\n"
        "  - <<: *cam\n"
        "    id: c2\n"
        "    onvif: {host: 10.0.0.2, port: 0}\n",
        encoding="utf-8",
    )
    with pytest.raises(SiteMapError) as caught:
        load_site_map(path, environ={"PW": "x"})
    assert [p.message for p in caught.value.problems] == [
        "camera 'c2': onvif.port: Input should be greater than or equal to 1"
    ]
    assert caught.value.problems[0].line == 9


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SiteMapError) as caught:
        load_site_map(path, environ={})
    assert [str(p) for p in caught.value.problems] == [
        f"{path}: invalid YAML: more than 1,000,000 values once aliases are expanded"
    ]


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text("school: S\ncampuses: &c [*c]\n", encoding="utf-8")
    with pytest.raises(SiteMapError) as caught:
        load_site_map(path, environ={})
    assert [str(p) for p in caught.value.problems] == [
        f"{path}: invalid YAML: an alias refers to a node that contains it"
    ]


# ----------------------------------------------------------------- warnings


def test_warnings_for_literal_password_and_camera_without_sites() -> None:
    loaded = load_site_map(WARN / "literal_password.yaml", environ={})
    name = str(WARN / "literal_password.yaml")
    assert [str(w) for w in loaded.warnings] == [
        f"{name}:8: credentials 'default': a literal password is written in the site map; "
        "use password_env or password_file instead",
        f"{name}:13: camera 'cam-spare': lists no sites, so it counts for no key site",
    ]
    assert loaded.password("default") == LITERAL_PASSWORD
    assert LITERAL_PASSWORD not in repr(loaded)


def test_empty_file_in_a_directory_is_a_warning() -> None:
    loaded = load_site_map(WARN / "with_empty_file", environ={})
    assert str(loaded.warnings[0]) == f"{WARN / 'with_empty_file' / 'later.yml'}: file is empty"
    assert len(loaded.warnings) == 3


# -------------------------------------------------------------------- check


def run(path: Path | str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_check(str(path), out, err)
    return code, out.getvalue(), err.getvalue()


def test_check_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIANYAN_CAMERA_PASSWORD", "x")
    monkeypatch.chdir(GOOD)
    code, out, err = run("campus.yaml")
    assert code == 0
    assert err == ""
    assert out == (
        "campus.yaml: ok: 示例大学 Example University: 2 campuses, 8 sites (gate 2, "
        "bike_shed 1, building_entrance 1, canteen 1, gymnasium 1, intersection 1, "
        "laboratory 1), 10 cameras, 2 NVRs\n"
    )


def test_check_ok_with_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(WARN)
    code, out, err = run("literal_password.yaml")
    assert code == 0
    assert out == (
        "literal_password.yaml: ok: Test School: 1 campus, 1 site (gate 1), 2 cameras, 0 NVRs; "
        "2 warnings\n"
    )
    assert err.splitlines() == [
        "warning: literal_password.yaml:8: credentials 'default': a literal password is "
        "written in the site map; use password_env or password_file instead",
        "warning: literal_password.yaml:13: camera 'cam-spare': lists no sites, "
        "so it counts for no key site",
    ]


def test_check_errors_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(BAD)
    monkeypatch.setenv("TIANYAN_CAMERA_PASSWORD", "x")
    code, out, err = run("dangling_refs.yaml")
    assert code == 2
    assert out == ""
    assert err.splitlines() == dict(BAD_CASES)["dangling_refs.yaml"]


def test_check_missing_file() -> None:
    code, out, err = run("/nonexistent/site-map.yaml")
    assert (code, out) == (2, "")
    assert err == "/nonexistent/site-map.yaml: cannot read: no such file or directory\n"


def test_passwords_never_appear_in_any_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secrets = [LITERAL_PASSWORD, "hunter2-secret", "Camera-Env-Pa55", "S3cret-In-Env-Field"]
    monkeypatch.setenv("TIANYAN_CAMERA_PASSWORD", "Camera-Env-Pa55")
    # A password typed where the variable name belongs, and one beside a broken line.
    (tmp_path / "leak.yaml").write_text(
        "school: S\ncampuses: [{id: north}]\ncredentials:\n"
        "  default: {username: u, password_env: S3cret-In-Env-Field}\n"
        f"  other: {{username: u, password: {LITERAL_PASSWORD}, password_env: X}}\n"
        f"  third: {{username: u, password: {LITERAL_PASSWORD}}}\n",
        encoding="utf-8",
    )
    (tmp_path / "broken.yaml").write_text(
        f"credentials:\n  default: {{username: u, password: {LITERAL_PASSWORD}\n",
        encoding="utf-8",
    )
    paths = [
        WARN / "literal_password.yaml",
        WARN / "with_empty_file",
        BAD / "missing_password_env.yaml",
        tmp_path / "leak.yaml",
        tmp_path / "broken.yaml",
        GOOD / "campus.yaml",
    ]
    for path in paths:
        _, out, err = run(path)
        assert out or err
        for secret in secrets:
            assert secret not in out and secret not in err, (path, secret)
        try:
            text = repr(load_site_map(path))
        except SiteMapError as exc:
            text = str(exc) + repr(exc.problems) + repr(exc.warnings)
        for secret in secrets:
            assert secret not in text, (path, secret)


# ------------------------------------------------------------- validate API


def test_check_site_map_on_a_model_without_files() -> None:
    site_map = SiteMap.model_validate(
        {
            "school": "S",
            "campuses": [{"id": "north"}],
            "sites": [{"id": "g1", "campus": "south", "category": "gate"}],
            "credentials": {"default": {"username": "u", "password_env": "PW"}},
        }
    )
    findings = check_site_map(site_map, base_dir=Path("."), environ={})
    assert [(f.path, f.message, f.warning) for f in findings] == [
        (("sites", 0, "campus"), "site 'g1': unknown campus 'south'", False),
        (
            ("credentials", "default", "password_env"),
            "credentials 'default': environment variable PW is not set",
            False,
        ),
    ]


def test_loaded_site_map_type() -> None:
    loaded = load_site_map(GOOD / "campus.yaml", environ=ENV)
    assert isinstance(loaded, LoadedSiteMap)
    assert "environ" not in repr(loaded)
