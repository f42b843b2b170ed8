"""Thresholds of the image-fault detectors, and their per-camera configuration.

Every detector compares one measure (see `monitor.quality.detectors`) with
one threshold. The defaults come from bench/quality_eval.py (docs/quality.md
explains each measure); a deployment overrides them in the monitor's config::

    quality:
      sample_every: 1            # analyse every Nth video frame of a camera
      frozen_after_seconds: 10   # compare for frozen only with a frame this much older
      thresholds: {dark_brightness: 35}
      categories:
        track_field: {occluded_fraction: 0.5}   # big flat lawns
      cameras:
        cam-0042: {blur_sharpness: 0.12}

Precedence is defaults < `thresholds` < category < camera; each level names
only the thresholds it changes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator


class Thresholds(BaseModel):
    """One threshold per detector (measures are described in docs/quality.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signal_loss_uniformity: float = Field(
        0.9,
        ge=0.0,
        le=1.0,
        description="signal_loss when at least this fraction of the frame is within 10 grey "
        "levels of one colour (a blue or grey 'no signal' screen; measure `uniformity`); a "
        "missing frame is always signal_loss",
    )
    black_brightness: float = Field(
        20.0,
        ge=0.0,
        le=255.0,
        description="black when the 98th-percentile luminance (0-255, measure `highlights`) "
        "is at most this: nothing in the picture is lit",
    )
    dark_brightness: float = Field(
        40.0,
        ge=0.0,
        le=255.0,
        description="dark when the mean luminance (0-255, measure `brightness`) is at most this",
    )
    bright_brightness: float = Field(
        195.0,
        ge=0.0,
        le=255.0,
        description="bright (over-exposed, washed out) when the mean luminance (measure "
        "`brightness`) is at least this",
    )
    blur_sharpness: float = Field(
        0.33,
        ge=0.0,
        description="blur when the steepness of the sharpest edges (gradient over local "
        "range, measure `sharpness`; about 1/(2.5 σ) for edges blurred over σ pixels) is at "
        "most this",
    )
    noise_level: float = Field(
        2.0,
        ge=0.0,
        description="noise when the noise estimate (median-filter residual in the flattest "
        "tenth of the picture, grey levels at the decoded scale, measure `noise`) is at least "
        "this",
    )
    color_cast: float = Field(
        18.0,
        ge=0.0,
        description="color_cast when the chroma of the picture's colour balance (CIELAB "
        "a*b* distance from grey of the brightest tones' colour weighted 3:1 with the average "
        "colour, measure `colour_cast`) is at least this; grey infrared pictures measure 0",
    )
    occluded_fraction: float = Field(
        0.22,
        ge=0.0,
        le=1.0,
        description="occluded when at least this fraction of the view is covered by large "
        "dark, featureless regions that were not so in the reference view (measure "
        "`occluded_fraction`)",
    )
    frozen_change: float = Field(
        0.02,
        ge=0.0,
        le=1.0,
        description="frozen when at most this fraction of the picture changed at all since "
        "the previous frame (measure `frozen_change`; the three most changed of 48 cells, "
        "such as the on-screen clock, are discounted; a live sensor's noise changes 10 % or "
        "more)",
    )
    shifted_match: float = Field(
        0.8,
        ge=-1.0,
        le=1.0,
        description="shifted when the best normalised correlation with the reference view "
        "over offsets up to 5 % of the frame (measure `reference_match`) is at most this",
    )


DEFAULT_THRESHOLDS = Thresholds()
THRESHOLD_NAMES: tuple[str, ...] = tuple(Thresholds.model_fields)


def _check_overrides(where: str, overrides: dict[str, float]) -> None:
    unknown = sorted(set(overrides) - set(THRESHOLD_NAMES))
    if unknown:
        raise ValueError(
            f"{where}: unknown threshold {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(THRESHOLD_NAMES)})"
        )


class QualityConfig(BaseModel):
    """The `quality:` section of the monitor's config."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    sample_every: int = Field(1, ge=1, description="analyse every Nth video frame per camera")
    frozen_after_seconds: float = Field(
        10.0,
        gt=0.0,
        description="frozen compares a frame only with a previous one at least this much older",
    )
    thresholds: dict[str, float] = Field(default_factory=dict)
    categories: dict[str, dict[str, float]] = Field(default_factory=dict)
    cameras: dict[str, dict[str, float]] = Field(default_factory=dict)

    _cache: dict[tuple[str, str | None], Thresholds] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _validate_overrides(self) -> QualityConfig:
        _check_overrides("thresholds", self.thresholds)
        levels: list[tuple[str, dict[str, float]]] = [("thresholds", self.thresholds)]
        levels += [(f"categories.{k}", v) for k, v in self.categories.items()]
        levels += [(f"cameras.{k}", v) for k, v in self.cameras.items()]
        for where, overrides in levels:
            _check_overrides(where, overrides)
            # Each level must make valid thresholds on its own over the defaults.
            merged: dict[str, Any] = {**self.thresholds, **overrides}
            try:
                Thresholds(**merged)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
        return self


def thresholds_for(config: QualityConfig, camera: str, category: str | None) -> Thresholds:
    """The thresholds in force for one camera: defaults < config < category < camera."""
    key = (camera, category)
    found = config._cache.get(key)
    if found is None:
        merged: dict[str, Any] = dict(config.thresholds)
        if category is not None:
            merged.update(config.categories.get(category, {}))
        merged.update(config.cameras.get(camera, {}))
        found = Thresholds(**merged) if merged else DEFAULT_THRESHOLDS
        config._cache[key] = found
    return found
