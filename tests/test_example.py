"""The example runs, and in float64 both networks follow the same loss curve."""
import numpy as np

from examples.train_small_cnn import main, shapes_dataset


def test_shapes_dataset_is_balanced_and_normalised():
    x, y = shapes_dataset(300, seed=3)
    assert x.shape == (300, 1, 16, 16) and set(y.tolist()) == {0, 1, 2}
    assert abs(x.mean().item()) < 1e-9 and abs(x.std().item() - 1) < 1e-2


def test_example_trains_like_torch(capsys):
    results = main(["--n-train", "32", "--epochs", "2", "--batch-size", "16", "--dtype", "float64",
                    "--algo", "im2col", "--threads", "0"])
    (torch_losses, _, _), (our_losses, _, _) = results.values()
    np.testing.assert_allclose(our_losses, torch_losses, rtol=1e-8)
    assert "s/epoch" in capsys.readouterr().out
