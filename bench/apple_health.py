"""Benchmark: reading a large Apple Health export.xml, streaming (ours) against the naive whole-tree parse.

Generates a realistic export.xml of about 200 MB in a temporary directory: the internal DTD, `ExportDate`,
`Me`, a year of Apple Watch heart-rate samples (with their metadata entry), step counts, active energy,
an `ActivitySummary` a day, and every night's sleep from two or three overlapping sources (the iPhone's InBed,
the Watch's stages with HKTimeZone, AutoSleep's unspecified asleep on most nights), weekend naps, and the
night's SpO2, respiratory rate and wrist temperature; every timestamp written with the exporting phone's
offset, as the Health app does. Then, each in a fresh interpreter, measured in the same run:
- ours: `integrations.apple_health.read_export` (defusedxml iterparse, elements cleared): peak RSS, and its
  rise over the interpreter's own (`ours_peak_delta_mb`), wall time;
- the baseline: `xml.etree.ElementTree.parse` of the same file (the whole tree): peak RSS, wall time;
- the interpreter's own peak RSS with the parser imported, for reference.
Then the worst case of the merge: one night of `--overlap` (100,000) Watch sleep records of which up to 43,200
overlap at once, beside the iPhone's InBed (what a source that re-syncs its stages over and over leaves),
read by ours and by the baseline (`ours_overlap_s` against `naive_overlap_s`; the merge is n log n: the
quadratic one it replaced did not finish 100,000 records in a minute), and ours' peak RSS rise on it.
Peak RSS is the process's own high-water mark (VmHWM), not ru_maxrss, which Linux starts from the parent's.
Usage: .venv/bin/python -m bench.apple_health [--days 365] [--seed 1] [--overlap 100000]. Last line: one JSON
object with every figure.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]

OFFSET_S = 3600  # the phone exported in winter in Berlin: every timestamp carries +0100
FIRST_DAY = 1_735_689_600  # 2025-01-01 00:00 UTC
HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE HealthData [
<!-- HealthKit Export Version: 14 -->
<!ELEMENT HealthData (ExportDate,Me,(Record|Correlation|Workout|ActivitySummary|ClinicalRecord)*)>
<!ATTLIST HealthData
  locale CDATA #REQUIRED
>
<!ELEMENT ExportDate EMPTY>
<!ATTLIST ExportDate
  value CDATA #REQUIRED
>
<!ELEMENT Me EMPTY>
<!ATTLIST Me
  HKCharacteristicTypeIdentifierDateOfBirth CDATA #REQUIRED
  HKCharacteristicTypeIdentifierBiologicalSex CDATA #REQUIRED
>
<!ELEMENT Record ((MetadataEntry|HeartRateVariabilityMetadataList)*)>
<!ATTLIST Record
  type          CDATA #REQUIRED
  unit          CDATA #IMPLIED
  value         CDATA #IMPLIED
  sourceName    CDATA #REQUIRED
  sourceVersion CDATA #IMPLIED
  device        CDATA #IMPLIED
  creationDate  CDATA #IMPLIED
  startDate     CDATA #REQUIRED
  endDate       CDATA #REQUIRED
>
<!ELEMENT MetadataEntry EMPTY>
<!ATTLIST MetadataEntry
  key   CDATA #REQUIRED
  value CDATA #REQUIRED
>
<!ELEMENT ActivitySummary EMPTY>
<!ATTLIST ActivitySummary
  dateComponents           CDATA #IMPLIED
  activeEnergyBurned       CDATA #IMPLIED
  activeEnergyBurnedGoal   CDATA #IMPLIED
  activeEnergyBurnedUnit   CDATA #IMPLIED
  appleExerciseTime        CDATA #IMPLIED
  appleStandHours          CDATA #IMPLIED
>
]>
<HealthData locale="de_DE">
 <ExportDate value="2026-01-10 09:00:00 +0100"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth="1988-04-02"
     HKCharacteristicTypeIdentifierBiologicalSex="HKBiologicalSexFemale"/>
"""
WATCH_DEVICE = ("&lt;&lt;HKDevice: 0x3012772a0&gt;, name:Apple Watch, manufacturer:Apple Inc., model:Watch, "
                "hardware:Watch6,7, software:10.2&gt;")
PHONE_DEVICE = ("&lt;&lt;HKDevice: 0x30205c460&gt;, name:iPhone, manufacturer:Apple Inc., model:iPhone, "
                "hardware:iPhone14,5, software:17.2.1&gt;")
# device names carry the curly apostrophe iOS types, as real exports do
WATCH, PHONE, AUTOSLEEP = "Lena’s Apple Watch", "Lena’s iPhone", "AutoSleep"
SLEEP = "HKCategoryTypeIdentifierSleepAnalysis"
BERLIN = '<MetadataEntry key="HKTimeZone" value="Europe/Berlin"/>'


def stamp(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S +0100", time.gmtime(epoch + OFFSET_S))


def record(out: TextIO, kind: str, start: float, end: float, value: object, source: str = WATCH,
           unit: str | None = None, device: str | None = WATCH_DEVICE, metadata: str = "") -> None:
    unit_attribute = f' unit="{unit}"' if unit else ""
    device_attribute = f' device="{device}"' if device else ""
    opening = (f' <Record type="{kind}" sourceName="{source}" sourceVersion="10.2"{device_attribute}{unit_attribute} '
               f'creationDate="{stamp(end + 40)}" startDate="{stamp(start)}" endDate="{stamp(end)}" value="{value}"')
    out.write(f"{opening}>\n  {metadata}\n </Record>\n" if metadata else f"{opening}/>\n")


def write_day(out: TextIO, rng: random.Random, midnight: float, weekend: bool) -> int:
    """One local day's records; returns the sleep periods written (the night, and a nap on some weekends)."""
    moment = midnight
    while moment < midnight + 86400:  # the Watch samples heart rate every minute or two
        motion = '<MetadataEntry key="HKMetadataKeyHeartRateMotionContext" value="0"/>'
        record(out, "HKQuantityTypeIdentifierHeartRate", moment, moment, rng.randint(48, 110), unit="count/min",
               metadata=motion)
        moment += rng.uniform(45, 125)
    for slot in range(7 * 6, 23 * 6):  # 10-minute step and energy totals while awake
        start = midnight + slot * 600 - OFFSET_S
        record(out, "HKQuantityTypeIdentifierStepCount", start, start + 600, rng.randint(0, 900), PHONE,
               "count", PHONE_DEVICE)
        record(out, "HKQuantityTypeIdentifierActiveEnergyBurned", start, start + 600,
               round(rng.uniform(0.5, 40), 3), unit="kcal")
    out.write(f' <ActivitySummary dateComponents="{time.strftime("%Y-%m-%d", time.gmtime(midnight))}" '
              f'activeEnergyBurned="{rng.randint(200, 900)}" activeEnergyBurnedGoal="500" '
              f'activeEnergyBurnedUnit="Cal" appleExerciseTime="{rng.randint(5, 90)}" appleStandHours="12"/>\n')
    periods = 1
    if weekend and rng.random() < 0.4:
        nap = midnight + 14 * 3600 - OFFSET_S + rng.uniform(0, 3600)
        record(out, SLEEP, nap, nap + rng.uniform(1200, 2700), "HKCategoryValueSleepAnalysisAsleepCore",
               metadata=BERLIN)
        periods += 1
    write_night(out, rng, midnight + 23 * 3600 - OFFSET_S + rng.gauss(0, 1800))
    return periods


def write_night(out: TextIO, rng: random.Random, bedtime: float) -> None:
    """The iPhone's InBed, the Watch's stages and (most nights) AutoSleep, overlapping, plus the night's vitals."""
    wake = bedtime + rng.uniform(7, 8.5) * 3600
    record(out, SLEEP, bedtime, wake, "HKCategoryValueSleepAnalysisInBed", PHONE, device=PHONE_DEVICE)
    moment = bedtime + rng.uniform(5, 25) * 60
    while moment < wake - 600:
        stage = rng.choices(["AsleepCore", "AsleepDeep", "AsleepREM", "Awake"], weights=[50, 15, 22, 5])[0]
        end = min(wake - 300, moment + rng.uniform(5, 40) * 60)
        record(out, SLEEP, moment, end, f"HKCategoryValueSleepAnalysis{stage}", metadata=BERLIN)
        moment = end
    if rng.random() < 0.7:
        middle = bedtime + (wake - bedtime) * rng.uniform(0.4, 0.6)
        for start, end in ((bedtime + 600, middle - 300), (middle, wake - 200)):
            record(out, SLEEP, start, end, "HKCategoryValueSleepAnalysisAsleepUnspecified", AUTOSLEEP, device=None)
    for hour in range(1, 7):
        at = bedtime + hour * 3600
        record(out, "HKQuantityTypeIdentifierOxygenSaturation", at, at, round(rng.uniform(0.92, 0.99), 2), unit="%")
        record(out, "HKQuantityTypeIdentifierRespiratoryRate", at, at, round(rng.uniform(12, 17), 1),
               unit="count/min")
    record(out, "HKQuantityTypeIdentifierAppleSleepingWristTemperature", bedtime, wake,
           round(rng.gauss(34.6, 0.3), 2), unit="degC", metadata=BERLIN)


def write_overlapping(path: Path, count: int) -> None:
    """One night of `count` Watch records (pairs alike, pair j from bedtime + j s for 6 h, core or deep) and the
    iPhone's InBed over all of them."""
    bedtime = FIRST_DAY + 22 * 3600
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        record(out, SLEEP, bedtime - 1800, bedtime + 20 * 3600, "HKCategoryValueSleepAnalysisInBed", PHONE,
               device=PHONE_DEVICE)
        for index in range(count):
            start = bedtime + index // 2
            stage = "AsleepCore" if index // 2 % 2 == 0 else "AsleepDeep"
            record(out, SLEEP, start, start + 6 * 3600, f"HKCategoryValueSleepAnalysis{stage}", metadata=BERLIN)
        out.write("</HealthData>\n")


def write_export(path: Path, days: int, seed: int) -> int:
    """The export file; returns the sleep periods it holds."""
    rng = random.Random(seed)
    periods = 0
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for day in range(days):
            periods += write_day(out, rng, FIRST_DAY + day * 86400, weekend=day % 7 in (4, 5))
        out.write("</HealthData>\n")
    return periods


PEAK = """
def peak_kb():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
"""
OURS = PEAK + """
import json, sys, time
from pathlib import Path
from zoneinfo import ZoneInfo
from integrations.apple_health import read_export
began = time.perf_counter()
parsed = read_export(Path(sys.argv[1]), ZoneInfo("Europe/Berlin"))
print(json.dumps({"seconds": time.perf_counter() - began, "nights": len(parsed.nights),
                  "rejected": len(parsed.rejected), "peak_kb": peak_kb()}))
"""
NAIVE = PEAK + """
import json, sys, time
import xml.etree.ElementTree as ElementTree
began = time.perf_counter()
root = ElementTree.parse(sys.argv[1]).getroot()
sleep = sum(1 for r in root.iter("Record") if r.get("type") == "HKCategoryTypeIdentifierSleepAnalysis")
print(json.dumps({"seconds": time.perf_counter() - began, "sleep_records": sleep, "peak_kb": peak_kb()}))
"""
BASELINE = PEAK + """
import json
import integrations.apple_health
print(json.dumps({"peak_kb": peak_kb()}))
"""


def in_fresh_interpreter(code: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--days", type=int, default=365, help="days of data in the generated export")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--overlap", type=int, default=100_000, help="sleep records in the overlapping night")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sleepcot-bench-") as folder:
        path = Path(folder) / "export.xml"
        began = time.perf_counter()
        periods = write_export(path, args.days, args.seed)
        file_mb = path.stat().st_size / 1e6
        print(f"generated {file_mb:.1f} MB, {args.days} days, {periods} sleep periods "
              f"in {time.perf_counter() - began:.1f} s")
        baseline = in_fresh_interpreter(BASELINE)
        ours = in_fresh_interpreter(OURS, str(path))
        naive = in_fresh_interpreter(NAIVE, str(path))
        write_overlapping(path, args.overlap)
        overlap_mb = path.stat().st_size / 1e6
        ours_overlap = in_fresh_interpreter(OURS, str(path))
        naive_overlap = in_fresh_interpreter(NAIVE, str(path))
    figures = {
        "file_mb": round(file_mb, 1),
        "ours_peak_rss_mb": round(ours["peak_kb"] / 1024, 1),
        "naive_peak_rss_mb": round(naive["peak_kb"] / 1024, 1),
        "ratio": round(naive["peak_kb"] / ours["peak_kb"], 1),
        "ours_s": round(ours["seconds"], 2),
        "naive_s": round(naive["seconds"], 2),
        "nights": ours["nights"],
        "interpreter_rss_mb": round(baseline["peak_kb"] / 1024, 1),
        "ours_peak_delta_mb": round((ours["peak_kb"] - baseline["peak_kb"]) / 1024, 1),
        "rejected": ours["rejected"],
        "overlap_records": args.overlap,
        "overlap_file_mb": round(overlap_mb, 1),
        "ours_overlap_s": round(ours_overlap["seconds"], 2),
        "naive_overlap_s": round(naive_overlap["seconds"], 2),
        "overlap_nights": ours_overlap["nights"],
        "overlap_peak_delta_mb": round((ours_overlap["peak_kb"] - baseline["peak_kb"]) / 1024, 1),
    }
    for name, value in figures.items():
        print(f"{name:>20}: {value}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
