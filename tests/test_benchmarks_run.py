"""The benchmark scripts still run (a few repetitions, no timing asserted)."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def test_engine_benchmark_runs():
    result = subprocess.run(
        [sys.executable, "benchmarks/bench_engine.py", "--repeat", "4", "--process-runs", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "impact60-job-education.yaml" in result.stdout
    assert "whole command" in result.stdout


def test_microsimulation_benchmark_runs():
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/bench_microsim.py",
            "--repeat",
            "1",
            "--individuals",
            "50",
            "--draws",
            "20",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "microsimulation 50 individuals x 20 draws" in result.stdout


def test_contract_benchmark_runs():
    result = subprocess.run(
        [sys.executable, "benchmarks/bench_contract.py", "--repeat", "1", "--draws", "200"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "with the designer" in result.stdout
    assert "evaluation alone" in result.stdout


def test_speed_benchmark_runs():
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/bench_speed.py",
            "--quick",
            "--repeat",
            "1",
            "--only",
            "contracts,uncertain,startup",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "contract peterborough-threshold, 150 draws, whole command" in result.stdout
    assert "growth with the draws" in result.stdout
    assert "socialinvest run, deterministic example" in result.stdout
    assert result.stdout.count("target m") >= 5  # "target met" or "target missed" per row


def test_gate_benchmark_runs():
    result = subprocess.run(
        [sys.executable, "benchmarks/bench_gate.py", "--repeat", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "alias bomb in a key" in result.stdout
    assert "order 10,000 chained parameters" in result.stdout


def test_ledger_reports_benchmark_runs():
    result = subprocess.run(
        [sys.executable, "benchmarks/bench_ledger_reports.py", "--repeat", "1", "--draws", "50"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "statement as PDF" in result.stdout and "INDIGO, realised" in result.stdout


def test_amendment_benchmark_runs():
    result = subprocess.run(
        [
            sys.executable,
            "benchmarks/bench_amend.py",
            "--repeat",
            "1",
            "--participants",
            "200",
            "--weeks",
            "52",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    # 200 × 52 weeks at 5,053 kr.; amended: 13 weeks each at +100, +200, +300 kr.
    assert "original terms, 1 run(s) of periods" in result.stdout
    assert "total DKK 52,551,200" in result.stdout
    assert "total DKK 54,111,200" in result.stdout


def test_threshold_benchmark_runs():
    result = subprocess.run(
        [sys.executable, "benchmarks/bench_threshold.py", "--repeat", "1", "--participants", "200"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    # five cohorts of 40, 16 jobs each against a baseline of 0.3 × 40 = 12: a gain of 4 ≥ 10 %
    # of 12, 4 × 50,000 kr. a cohort; as a rate card every job: 80 × 50,000 kr.
    assert "(5 cohort(s) assessed)" in result.stdout
    assert "total DKK 1,000,000" in result.stdout and "total DKK 4,000,000" in result.stdout
