import ember
from ember.cli import main
from ember.demo import run


def test_demo_learns_the_function():
    # 600 steps already bring the test error well below the untrained ~0.5.
    assert run(steps=600, log_every=10_000) < 0.15


def test_cli_runs_the_demo(capsys):
    assert main(["demo", "--steps", "20"]) == 0
    out = capsys.readouterr().out
    assert "step     1" in out and "test MSE" in out and ember.__version__ in out
