"""The accepted time range: any time with any offset is judged, none overflows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from controlroom.domain.time_range import EARLIEST, LATEST, out_of_range

OFFSETS = st.timedeltas(
    min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)
)


@given(clock=st.datetimes(), offset=OFFSETS)
def test_every_time_is_judged_without_overflow(clock: datetime, offset: timedelta) -> None:
    moment = clock.replace(tzinfo=timezone(offset))
    inside = (
        EARLIEST.replace(tzinfo=None) - timedelta(days=2)
        < clock
        < LATEST.replace(tzinfo=None) + timedelta(days=2)
        and EARLIEST <= moment.astimezone(UTC) < LATEST
    )
    assert (out_of_range(moment) is None) == inside


def test_the_ends_of_the_range() -> None:
    assert out_of_range(EARLIEST) is None
    assert (
        out_of_range(datetime(2000, 1, 1, 23, 59, tzinfo=timezone(timedelta(hours=23, minutes=59))))
        is None
    )
    assert out_of_range(EARLIEST - timedelta(microseconds=1)) is not None
    assert out_of_range(LATEST - timedelta(microseconds=1)) is None
    assert "2100-01-01" in str(out_of_range(LATEST))
    assert out_of_range(datetime.max.replace(tzinfo=timezone(timedelta(hours=-23)))) is not None
    assert out_of_range(datetime.min.replace(tzinfo=timezone(timedelta(hours=23)))) is not None
