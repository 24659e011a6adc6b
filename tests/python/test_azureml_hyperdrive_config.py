"""``HyperDriveConfig`` (glia.sweep, azureml.train.hyperdrive) turned into a CLI v2 sweep job:
the seed's search space, policy and limits as the sweep file docs/sweeps.md describes, and the
refusals. No binary needed: the job dict is checked as ``Experiment.submit`` writes it.

    python3 -m unittest discover -s tests/python -p 'test_azureml_*'
"""

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
for d in (os.path.join(ROOT, "clients", "python"), os.path.join(ROOT, "clients", "azureml-shim")):
    if d not in sys.path:
        sys.path.insert(0, d)

from azureml.train.hyperdrive import (  # noqa: E402
    BanditPolicy, BayesianParameterSampling, GridParameterSampling, HyperDriveConfig,
    HyperDriveRun, MedianStoppingPolicy, NoTerminationPolicy, PrimaryMetricGoal,
    RandomParameterSampling, TruncationSelectionPolicy, choice, lognormal, loguniform, normal,
    qlognormal, qloguniform, qnormal, quniform, randint, uniform)
import glia.sweep  # noqa: E402


class _Experiment(object):
    name = "keras-mnist"
    workspace = None


class _Src(object):
    """What ScriptRunConfig._glia_job gives (the seed's arguments, a dataset input)."""

    def _glia_job(self, experiment):
        return {"type": "command", "code": "/src", "experiment_name": experiment.name,
                "command": "python keras_mnist.py --data-folder ${{inputs.mnist}} "
                           "--batch-size 50 --learning-rate 0.001",
                "inputs": {"mnist": {"type": "uri_folder", "path": "azureml:mnist-dataset:1",
                                     "mode": "ro_mount"}},
                "environment": "azureml:keras-env:1", "compute": "gpu-cluster",
                "limits": {"timeout": 600}}


def seed_config(**overrides):
    ps = RandomParameterSampling({
        '--batch-size': choice(25, 50, 100),
        '--first-layer-neurons': choice(10, 50, 200, 300, 500),
        '--second-layer-neurons': choice(10, 50, 200, 500),
        '--learning-rate': loguniform(-6, -1)})
    kwargs = dict(run_config=_Src(), hyperparameter_sampling=ps,
                  policy=BanditPolicy(evaluation_interval=2, slack_factor=0.1),
                  primary_metric_name='Accuracy', primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
                  max_total_runs=20, max_concurrent_runs=4)
    kwargs.update(overrides)
    return HyperDriveConfig(**kwargs)


class HyperDriveConfigTest(unittest.TestCase):
    def test_the_seeds_sweep(self):
        job = seed_config()._glia_job(_Experiment())
        self.assertEqual(job["type"], "sweep")
        self.assertEqual(job["trial"]["command"],
                         "python keras_mnist.py --data-folder ${{inputs.mnist}} --batch-size 50 "
                         "--learning-rate 0.001 --batch-size ${{search_space.batch_size}} "
                         "--first-layer-neurons ${{search_space.first_layer_neurons}} "
                         "--second-layer-neurons ${{search_space.second_layer_neurons}} "
                         "--learning-rate ${{search_space.learning_rate}}")
        self.assertEqual(job["trial"]["code"], "/src")
        self.assertEqual(job["trial"]["environment"], "azureml:keras-env:1")
        self.assertEqual(job["compute"], "gpu-cluster")  # the sweep's keys stay at the top
        self.assertEqual(job["inputs"]["mnist"]["path"], "azureml:mnist-dataset:1")
        self.assertEqual(job["search_space"], {
            "batch_size": {"type": "choice", "values": [25, 50, 100]},
            "first_layer_neurons": {"type": "choice", "values": [10, 50, 200, 300, 500]},
            "second_layer_neurons": {"type": "choice", "values": [10, 50, 200, 500]},
            "learning_rate": {"type": "loguniform", "min_value": -6, "max_value": -1}})
        self.assertEqual(job["sampling_algorithm"], "random")
        self.assertEqual(job["objective"], {"primary_metric": "Accuracy", "goal": "maximize"})
        self.assertEqual(job["early_termination"], {"type": "bandit", "evaluation_interval": 2,
                                                    "delay_evaluation": 0, "slack_factor": 0.1})
        self.assertEqual(job["limits"], {"max_total_trials": 20, "max_concurrent_trials": 4,
                                         "timeout": 10080 * 60, "trial_timeout": 600})
        self.assertNotIn("limits", job["trial"])
        self.assertIs(seed_config()._glia_run_class, glia.sweep.HyperDriveRun)
        self.assertTrue(issubclass(HyperDriveRun, __import__("azureml.core").core.Run))

    def test_every_parameter_expression(self):
        cases = {
            "a": (choice([1, "x", True]), {"type": "choice", "values": [1, "x", True]}),
            "b": (choice(range(3)), {"type": "choice", "values": [0, 1, 2]}),
            "c": (randint(5), {"type": "randint", "upper": 5}),
            "d": (uniform(0, 1), {"type": "uniform", "min_value": 0, "max_value": 1}),
            "e": (quniform(0, 10, 2), {"type": "quniform", "min_value": 0, "max_value": 10,
                                       "q": 2}),
            "f": (qloguniform(0, 3, 1), {"type": "qloguniform", "min_value": 0, "max_value": 3,
                                         "q": 1}),
            "g": (normal(0, 1), {"type": "normal", "mu": 0, "sigma": 1}),
            "h": (qnormal(5, 2, 1), {"type": "qnormal", "mu": 5, "sigma": 2, "q": 1}),
            "i": (lognormal(0, 1), {"type": "lognormal", "mu": 0, "sigma": 1}),
            "j": (qlognormal(0, 1, 1), {"type": "qlognormal", "mu": 0, "sigma": 1, "q": 1}),
        }
        # Azure's return values: [name, [arguments]]
        self.assertEqual(choice(25, 50), ["choice", [[25, 50]]])
        self.assertEqual(uniform(0, 1), ["uniform", [0, 1]])
        ps = RandomParameterSampling({k: v[0] for k, v in cases.items()},
                                     properties={"seed": 7})
        self.assertEqual(ps._glia_search_space(), {k: v[1] for k, v in cases.items()})
        self.assertEqual(ps._glia_sampling(), {"type": "random", "seed": 7})
        self.assertEqual(ps._glia_arguments()[:2], ["--a", "${{search_space.a}}"])

    def test_policies_and_goals(self):
        self.assertEqual(MedianStoppingPolicy()._glia_policy(),
                         {"type": "median_stopping", "evaluation_interval": 1,
                          "delay_evaluation": 5})
        self.assertEqual(TruncationSelectionPolicy(20)._glia_policy()["truncation_percentage"],
                         20)
        self.assertIsNone(NoTerminationPolicy()._glia_policy())
        job = seed_config(policy=NoTerminationPolicy(), primary_metric_goal="minimize",
                          max_concurrent_runs=None)._glia_job(_Experiment())
        self.assertNotIn("early_termination", job)
        self.assertEqual(job["objective"]["goal"], "minimize")
        self.assertNotIn("max_concurrent_trials", job["limits"])
        grid = GridParameterSampling({"--bs": choice(1, 2)})
        self.assertEqual(seed_config(hyperparameter_sampling=grid)._glia_job(
            _Experiment())["sampling_algorithm"], "grid")
        bayes = BayesianParameterSampling({"--lr": uniform(0, 1)})
        self.assertEqual(seed_config(hyperparameter_sampling=bayes, policy=None)._glia_job(
            _Experiment())["sampling_algorithm"], "bayesian")

    def test_refusals(self):
        with self.assertRaises(ValueError):
            GridParameterSampling({"--lr": uniform(0, 1)})
        with self.assertRaises(ValueError):
            BayesianParameterSampling({"--lr": normal(0, 1)})
        with self.assertRaises(ValueError):  # both name the parameter batch_size
            RandomParameterSampling({"--batch-size": choice(1), "batch_size": choice(2)})
        with self.assertRaises(ValueError):
            RandomParameterSampling({"--1x": choice(1)})
        with self.assertRaises(TypeError):
            RandomParameterSampling({"--lr": 0.1})
        with self.assertRaises(ValueError):
            choice()
        with self.assertRaises(ValueError):
            seed_config(primary_metric_goal="best")
        with self.assertRaises(ValueError):
            seed_config(max_total_runs=0)
        with self.assertRaises(TypeError):
            seed_config(run_config=None)
        for flag in ("estimator", "pipeline", "resume_child_runs", "custom_run_id"):
            with self.assertRaises(NotImplementedError) as cm:
                seed_config(**{flag: object()})
            self.assertIn(flag, str(cm.exception))
        with self.assertRaises(NotImplementedError) as cm:
            RandomParameterSampling({"--lr": uniform(0, 1)},
                                    properties={"surprise": 1})._glia_sampling()
        self.assertIn("surprise", str(cm.exception))

    def test_the_trial_command_is_shell_quoted(self):
        # The trial's command runs under /bin/sh -c: a search-space key is one script argument
        # however it is spelt (as Azure passes it), and a choice string the shell would split
        # or expand (Glia substitutes values unquoted) is refused, not silently mangled.
        import shlex
        config = seed_config(hyperparameter_sampling=RandomParameterSampling(
            {"--batch size": choice(25, 50), "--act;echo": choice("relu", "tanh")}))
        words = shlex.split(config._glia_job(_Experiment())["trial"]["command"])
        i = words.index("--batch size")
        self.assertEqual(words[i + 1], "${{search_space.batch_size}}")
        i = words.index("--act;echo")
        self.assertEqual(words[i + 1], "${{search_space.act_echo}}")
        sweep = {"_record": {"command": config._glia_job(_Experiment())["trial"]["command"]}}
        trial = {"parameters": {"batch_size": 25, "act_echo": "relu"}}
        self.assertEqual(glia.sweep.HyperDriveRun._hyperparameters(sweep, trial),
                         {"--batch size": 25, "--act;echo": "relu"})
        for bad in ("a b", "$HOME", "x;rm", "it's"):
            with self.assertRaises(ValueError) as cm:
                RandomParameterSampling({"--act": choice("relu", bad)})
            self.assertIn(repr(bad), str(cm.exception))

    def test_resume_from(self):
        job = seed_config(resume_from=["sweep_1", "sweep_2"])._glia_job(_Experiment())
        self.assertEqual(job["resume_from"], ["sweep_1", "sweep_2"])


class HyperDriveRunRankingTest(unittest.TestCase):
    def test_ranked_best_first_ties_to_the_lower_index(self):
        trials = [{"id": "s_0", "index": 0, "best_metric": 0.5},
                  {"id": "s_1", "index": 1, "best_metric": 0.9},
                  {"id": "s_2", "index": 2, "best_metric": None},
                  {"id": "s_3", "index": 3, "best_metric": 0.9}]
        ranked = glia.sweep.HyperDriveRun._ranked(trials, "maximize")
        self.assertEqual([t["id"] for t in ranked], ["s_1", "s_3", "s_0"])
        ranked = glia.sweep.HyperDriveRun._ranked(trials, "minimize")
        self.assertEqual([t["id"] for t in ranked], ["s_0", "s_1", "s_3"])

    def test_hyperparameters_by_script_argument(self):
        sweep = {"_record": {"command": "python t.py --batch-size ${{search_space.batch_size}} "
                                        "--lr=${{search_space.lr}} ${{search_space.pos}}"}}
        trial = {"parameters": {"batch_size": 25, "lr": 0.01, "pos": "x"}}
        self.assertEqual(glia.sweep.HyperDriveRun._hyperparameters(sweep, trial),
                         {"--batch-size": 25, "lr": 0.01, "pos": "x"})


if __name__ == "__main__":
    unittest.main()
