"""Unit tests of the thresholds file and its loader."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from datetime import date
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from census.domain.occupancy import ConfigError, MeterHistory, classify, load_config, parse_config

PACKAGED = resources.files("census.domain.occupancy").joinpath("thresholds.toml").read_text(encoding="utf-8")


def _replace(text: str, entry: str, line: str, new_line: str) -> str:
    start = text.index(f"[{entry}]")
    end = text.index("\n\n", start) if "\n\n" in text[start:] else len(text)
    block = text[start:end]
    assert line in block
    return text[:start] + block.replace(line, new_line) + text[end:]


def test_packaged_config_loads():
    config = load_config()
    assert config.rules.green_min_use_days == 5
    assert config.rules.green_window_days == 7
    assert config.rules.red_window_days == 30
    assert config.rules.red_min_data_days == 20


def test_load_config_cached():
    assert load_config() is load_config()


def test_every_entry_has_value_unit_and_reason():
    document = tomllib.loads(PACKAGED)
    for section, entries in document.items():
        for name, entry in entries.items():
            assert set(entry) == {"value", "unit", "reason"}, f"{section}.{name}"
            assert entry["reason"].strip(), f"{section}.{name}"


def test_standby_reference_is_published_figure():
    electricity = load_config().for_utility("electricity")
    assert electricity.standby_reference == pytest.approx(0.7)
    assert electricity.flat_ceiling == pytest.approx(1.5)


def test_missing_entry_rejected():
    start = PACKAGED.index("[rules.red_min_data_days]")
    end = PACKAGED.index("\n\n", start)
    text = PACKAGED[:start] + PACKAGED[end + 2 :]
    with pytest.raises(ConfigError, match=r"\[rules.red_min_data_days\] is missing"):
        parse_config(text)


def test_wrong_unit_rejected():
    text = _replace(PACKAGED, "electricity.off_floor", 'unit = "kWh/day"', 'unit = "Wh/day"')
    with pytest.raises(ConfigError, match="unit 'Wh/day'; expected 'kWh/day'"):
        parse_config(text)


def test_unknown_entry_rejected():
    text = PACKAGED + '\n[rules.green_bonus]\nvalue = 1\nunit = "days"\nreason = "x"\n'
    with pytest.raises(ConfigError, match="unknown entries in \\[rules\\]: green_bonus"):
        parse_config(text)


def test_fractional_day_count_rejected():
    text = _replace(PACKAGED, "rules.green_min_use_days", "value = 5", "value = 5.5")
    with pytest.raises(ConfigError, match="not an integer"):
        parse_config(text)


def test_missing_reason_rejected():
    start = PACKAGED.index("[rules.green_min_use_days]")
    end = PACKAGED.index("\n\n", start)
    block = "\n".join(line for line in PACKAGED[start:end].splitlines() if not line.startswith("reason"))
    with pytest.raises(ConfigError, match="has no reason"):
        parse_config(PACKAGED[:start] + block + PACKAGED[end:])


def test_inconsistent_rules_rejected():
    text = _replace(PACKAGED, "rules.green_min_use_days", "value = 5", "value = 8")
    with pytest.raises(ConfigError, match="green_min_use_days <= green_window_days"):
        parse_config(text)


def test_morning_after_night_start_rejected():
    text = _replace(PACKAGED, "tags.morning_end_hour", "value = 12", "value = 19")
    with pytest.raises(ConfigError, match="morning_end_hour < night_start_hour"):
        parse_config(text)


def test_invalid_toml_rejected():
    with pytest.raises(ConfigError, match="invalid TOML"):
        parse_config("[rules\n")


def test_changed_threshold_changes_code_without_code_change(tmp_path: Path):
    # Use on 6 of the last 7 days: GREEN by default, YELLOW when 7 are required.
    rng = np.random.default_rng(61)
    hourly = 0.05 + 0.01 * rng.random((30, 24))
    hourly[:, 18:22] += rng.uniform(0.5, 1.1, (30, 4))
    hourly[-3, 18:22] = 0.05
    history = MeterHistory("electricity", date(2026, 8, 1), hourly.sum(axis=1), hourly)
    stricter = tmp_path / "thresholds.toml"
    stricter.write_text(
        _replace(PACKAGED, "rules.green_min_use_days", "value = 5", "value = 7"), encoding="utf-8"
    )
    assert classify(history, config=load_config()).code == "GREEN"
    assert classify(history, config=load_config(str(stricter))).code == "YELLOW"


def test_unknown_utility_rejected():
    with pytest.raises(ValueError, match="unknown utility 'heat'"):
        load_config().for_utility("heat")


def test_package_import_avoids_pandas_and_pyarrow():
    code = "import sys, census.domain.occupancy; print('pandas' in sys.modules, 'pyarrow' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["False", "False"]
