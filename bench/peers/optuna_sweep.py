#!/usr/bin/env python3
"""The Optuna side of bench/sweeps.sh: the seed's HyperDrive sweep run by Optuna.

Same search space as the seed (and as Glia's sweep): batch_size choice(25, 50, 100),
first_layer_neurons choice(10, 50, 200, 300, 500), second_layer_neurons choice(10, 50, 200, 500),
learning_rate loguniform(-6, -1) (Azure's loguniform(a, b) is exp(uniform(a, b)): Optuna's
suggest_float(e^a, e^b, log=True)). Each trial runs the same `glia-keras-mnist` binary as Glia's
trials do, as a subprocess with the thread share Glia's agent gives a job (cores / jobs at once,
at least 1: OMP_NUM_THREADS, GLIA_THREADS, ... and OMP_WAIT_POLICY=PASSIVE, as
src/platform/compute/thread_share.cpp exports them), reads the validation accuracy it prints
once per epoch (`--verbose 2`: "... - val_accuracy: 0.8575 - val_loss: ..."), reports it to
Optuna (`trial.report(acc, epoch)`) and, when the pruner says so, kills the training's process
group. n_jobs trials at once (Optuna's thread pool; each thread waits on its subprocess).

With --replay, Optuna runs the trials of a Glia sweep (its parameters, in index order) instead of
sampling: the same work under Optuna's runner, for the wall times.

Prints one JSON object: method, best_accuracy (the highest validation accuracy any trial
reported, pruned or not: what Glia's sweep reports as its best metric), trial_epochs (epochs
reported over all trials), wall_s (study.optimize), pruned, threads and every trial.
"""
import argparse
import json
import math
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import optuna

VAL_ACCURACY = re.compile(r" - val_accuracy: ([0-9.eE+-]+|nan)")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "GLIA_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def usable_cores():
    return max(1, len(os.sched_getaffinity(0)))


def training_environment(threads):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLIA_")}  # offline: no run
    for name in THREAD_VARIABLES:
        env[name] = str(threads)
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--binary", required=True, help="glia-keras-mnist")
    p.add_argument("--data-folder", required=True, help="the four Fashion-MNIST IDX .gz files")
    p.add_argument("--sampler", choices=["tpe", "random"], required=True)
    p.add_argument("--pruner", choices=["median", "none"], required=True)
    p.add_argument("--trials", type=int, default=20)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--n-jobs", type=int, default=4)
    p.add_argument("--seed", type=int, default=1, help="the sampler's seed")
    p.add_argument("--trial-seed", type=int, default=1, help="--seed of every training")
    p.add_argument("--threads", type=int, default=0,
                   help="threads per training (0: usable cores / n_jobs, at least 1, as Glia)")
    p.add_argument("--label", default=None, help="the method's name in the output")
    p.add_argument("--replay", default=None,
                   help="a glia_sweep.py result (JSON): run its trials' parameters, in index "
                        "order (study.enqueue_trial), instead of sampling")
    a = p.parse_args()
    a.binary = os.path.abspath(a.binary)  # the trainings run in folders of their own
    a.data_folder = os.path.abspath(a.data_folder)

    threads = a.threads or max(1, usable_cores() // a.n_jobs)
    env = training_environment(threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = (optuna.samplers.TPESampler(seed=a.seed) if a.sampler == "tpe" else
               optuna.samplers.RandomSampler(seed=a.seed))
    pruner = optuna.pruners.MedianPruner() if a.pruner == "median" else optuna.pruners.NopPruner()
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    if a.replay:
        with open(a.replay) as f:
            replayed = sorted(json.load(f)["records"], key=lambda r: r["index"])
        if len(replayed) != a.trials:
            sys.exit("optuna_sweep: %s has %d trials, not %d" % (a.replay, len(replayed), a.trials))
        for r in replayed:
            study.enqueue_trial(r["parameters"])
    lock = threading.Lock()
    records = []
    work = tempfile.mkdtemp(prefix="optuna-sweep-")  # outside any workspace: offline runs

    def objective(trial):
        params = {
            "batch_size": trial.suggest_categorical("batch_size", [25, 50, 100]),
            "first_layer_neurons": trial.suggest_categorical("first_layer_neurons",
                                                             [10, 50, 200, 300, 500]),
            "second_layer_neurons": trial.suggest_categorical("second_layer_neurons",
                                                              [10, 50, 200, 500]),
            "learning_rate": trial.suggest_float("learning_rate", math.exp(-6), math.exp(-1),
                                                 log=True),
        }
        folder = os.path.join(work, "t%d" % trial.number)
        os.makedirs(folder)
        cmd = [a.binary, "--data-folder", a.data_folder,
               "--batch-size", str(params["batch_size"]),
               "--first-layer-neurons", str(params["first_layer_neurons"]),
               "--second-layer-neurons", str(params["second_layer_neurons"]),
               "--learning-rate", repr(params["learning_rate"]),
               "--epochs", str(a.epochs), "--seed", str(a.trial_seed), "--verbose", "2",
               "--model-dir", os.path.join(folder, "model")]
        values, pruned = [], False
        t0 = time.time()
        proc = subprocess.Popen(cmd, cwd=folder, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        tail = []
        try:
            for line in proc.stdout:
                tail = (tail + [line])[-5:]
                m = VAL_ACCURACY.search(line)
                if not m:
                    continue
                acc = float(m.group(1))
                values.append(acc)
                trial.report(acc, len(values))
                if trial.should_prune():
                    pruned = True
                    os.killpg(proc.pid, signal.SIGKILL)
                    break
        finally:
            if proc.poll() is None and not pruned:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
        if not pruned and proc.returncode != 0:
            raise RuntimeError("trial %d: %s exited %d: %s" % (trial.number, a.binary,
                                                               proc.returncode, "".join(tail)))
        finite = [v for v in values if not math.isnan(v)]
        with lock:
            records.append({"number": trial.number, "parameters": params, "epochs": len(values),
                            "best": max(finite) if finite else None, "pruned": pruned,
                            "seconds": round(time.time() - t0, 3)})
        if pruned:
            raise optuna.TrialPruned()
        if not finite:
            return float("nan")
        return max(finite)

    t0 = time.time()
    try:
        study.optimize(objective, n_trials=a.trials, n_jobs=a.n_jobs, catch=())
    finally:
        wall = time.time() - t0
        shutil.rmtree(work, ignore_errors=True)
    failed = [t.number for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
    if failed:
        sys.exit("optuna_sweep: trials %s failed" % failed)
    bests = [r["best"] for r in records if r["best"] is not None]
    label = a.label or ("Optuna %s%s" % ("TPE" if a.sampler == "tpe" else "random",
                                         " + MedianPruner" if a.pruner == "median" else ""))
    if a.replay and not a.label:
        label = "Optuna replaying Glia random's trials"
    print(json.dumps({
        "method": label,
        "seed": a.seed,
        "best_accuracy": max(bests) if bests else None,
        "trial_epochs": sum(r["epochs"] for r in records),
        "wall_s": round(wall, 2),
        "trials": len(records),
        "pruned": sum(r["pruned"] for r in records),
        "threads": threads,
        "optuna": optuna.__version__,
        "records": sorted(records, key=lambda r: r["number"]),
    }))


if __name__ == "__main__":
    main()
