"""examples/convert_torchvision.py runs, prints convert's report, and in float64 the
converted resnet18 trains step for step like torch's."""
import numba
import numpy as np
import torch

from examples.convert_torchvision import main


def test_converted_resnet18_trains_like_torch(capsys):
    saved = numba.get_num_threads(), torch.get_num_threads()
    try:
        results, report = main(["--model", "resnet18", "--algo", "numba", "--steps", "3", "--batch", "4",
                                "--size", "32", "--dtype", "float64", "--threads", "1"])
    finally:
        numba.set_num_threads(saved[0]), torch.set_num_threads(saved[1])
    (torch_losses, _), (our_losses, _) = results.values()
    assert len(set(torch_losses)) == 3, "the loss must change from step to step"
    np.testing.assert_allclose(our_losses, torch_losses, rtol=1e-8)
    out = capsys.readouterr().out
    assert "Converted modules:" in out and "layer1.0.conv1" in out and "s/step" in out
    assert report.modules(True)
