"""archspec.transfer against the real networks: torchvision's ResNet-50 (randomly initialised,
no download) into its spec, into SE-ResNet-50 and into a 10-class ResNet-50; d2l's
hand-written networks into the d2l specs; structure matching after a rename and an insertion."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

import archspec
from archspec.diagnostics import SpecError
from tests import d2l
from tests.torchvision_models import zoo

torch.set_num_threads(2)
RESNET50 = "specs/torchvision/resnet50.yaml"
SE = "specs/examples/resnet50_se.yaml"
TEN_CLASSES = "specs/examples/resnet50_10class.yaml"
D2L_INPUTS = {"alexnet": 224, "vgg11": 224, "nin": 224, "googlenet": 96, "lenet_bn": 28, "resnet18": 224}


@pytest.fixture(scope="module")
def resnet50() -> nn.Module:
    torch.manual_seed(0)
    return zoo()["resnet50"]().eval()


@pytest.fixture(scope="module")
def resnet50_checkpoint(resnet50: nn.Module, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("weights") / "resnet50.pt"
    torch.save(resnet50.state_dict(), path)
    return path


def same_outputs(a: nn.Module, b: nn.Module, *dims: int) -> None:
    x = torch.randn(2, *dims, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        torch.testing.assert_close(a.eval()(x), b.eval()(x), rtol=0, atol=0)


def test_resnet50_loads_whole_into_its_spec(resnet50: nn.Module, resnet50_checkpoint: Path) -> None:
    report, net = archspec.transfer(RESNET50, resnet50_checkpoint)
    assert report.ok, report.problems
    assert report.counts == {"transferred": 320, "mismatched": 0, "new": 0, "dropped": 0, "skipped": 0}
    assert report.parameters["transferred"] == report.parameters["total"] == 25_557_032
    assert report.checkpoint_values["used"] == report.checkpoint_values["total"]
    assert {layer.how for layer in report.layers} == {"name"}
    same_outputs(net, resnet50, 3, 64, 64)


def test_se_resnet50_takes_everything_but_its_se_layers(
    resnet50: nn.Module, resnet50_checkpoint: Path
) -> None:
    report, net = archspec.transfer(SE, resnet50_checkpoint)
    assert report.ok, report.problems
    new = [layer for layer in report.layers if layer.status == "new"]
    assert [layer.path for layer in new][:2] == ["layer1.0.se.fc1", "layer1.0.se.fc2"]
    assert len(new) == 32 and all(".se." in layer.path and layer.kind == "conv" for layer in new)
    assert report.counts == {"transferred": 320, "mismatched": 0, "new": 64, "dropped": 0, "skipped": 0}
    se_params = sum(p.numel() for name, p in net.named_parameters() if ".se." in name)
    assert report.parameters["new"] == se_params
    assert report.parameters["transferred"] == 25_557_032
    theirs = resnet50.state_dict()
    for key, value in net.state_dict().items():
        if ".se." not in key:
            assert torch.equal(value, theirs[key]), key
    strict, _ = archspec.transfer(SE, resnet50_checkpoint, strict=True)
    assert [d.code for d in strict.problems] == ["E605"]


def test_a_ten_class_head_is_all_but_fc(resnet50: nn.Module, resnet50_checkpoint: Path) -> None:
    report, net = archspec.transfer(TEN_CLASSES, resnet50_checkpoint)
    assert [d.code for d in report.problems] == ["E603"]
    assert "fc.weight: [10, 2048] here, [1000, 2048] in the checkpoint" in report.problems[0].message
    (fc,) = [layer for layer in report.layers if layer.status != "transferred"]
    assert (fc.path, fc.status, fc.source) == ("fc", "mismatched", "fc")
    assert [(t.key, t.shape, t.source_shape) for t in fc.tensors] == [
        ("fc.weight", (10, 2048), (1000, 2048)),
        ("fc.bias", (10,), (1000,)),
    ]
    assert report.counts["transferred"] == 318
    assert report.parameters["mismatched"] == 10 * 2048 + 10
    # the fc left out on purpose: everything asked for was transferred
    skipped, net = archspec.transfer(TEN_CLASSES, resnet50_checkpoint, skip=["fc"])
    assert skipped.ok and skipped.counts["skipped"] == 4  # fc's two tensors on each side
    features = nn.Sequential(*list(net.children())[:-1])
    reference = nn.Sequential(*list(resnet50.children())[:-1], nn.Flatten())  # the spec flattens before fc
    same_outputs(features, reference, 3, 64, 64)


@pytest.mark.parametrize("name", sorted(d2l.NETWORKS))
def test_d2l_checkpoints_load_into_the_d2l_specs(name: str) -> None:
    """d2l's nn.Sequential names layers by index, the specs by name: structure pairs them."""
    torch.manual_seed(0)
    reference = d2l.NETWORKS[name]()
    report, net = archspec.transfer(f"specs/{name}.yaml", reference.state_dict())
    assert report.ok, report.problems
    assert report.counts["transferred"] == len(reference.state_dict())
    assert report.parameters["transferred"] == sum(p.numel() for p in reference.parameters())
    same_outputs(net, reference, 1, D2L_INPUTS[name], D2L_INPUTS[name])


BEFORE = """
archspec: 1
name: small
input: [3, 16, 16]
layers:
  - conv: {name: stem, out_channels: 8, kernel_size: 3, padding: 1}
  - batchnorm: {name: stem_bn}
  - relu
  - conv: {name: body, out_channels: 8, kernel_size: 3, padding: 1}
  - flatten
  - linear: {name: head, out_features: 5}
"""
# stem renamed to entry, a conv inserted after the relu
AFTER = """
archspec: 1
name: small_changed
input: [3, 16, 16]
layers:
  - conv: {name: entry, out_channels: 8, kernel_size: 3, padding: 1}
  - batchnorm: {name: stem_bn}
  - relu
  - conv: {name: extra, out_channels: 8, kernel_size: 1}
  - conv: {name: body, out_channels: 8, kernel_size: 3, padding: 1}
  - flatten
  - linear: {name: head, out_features: 5}
"""


@pytest.mark.parametrize("match", ["auto", "structure"])
def test_a_rename_and_an_inserted_layer_line_up(match: str) -> None:
    torch.manual_seed(0)
    old = archspec.build(archspec.loads(BEFORE))
    report, new = archspec.transfer(archspec.loads(AFTER), old.state_dict(), match=match)
    assert report.ok, report.problems
    by_path = {layer.path: layer for layer in report.layers}
    assert (by_path["entry"].status, by_path["entry"].source) == ("transferred", "stem")
    assert by_path["extra"].status == "new"
    assert all(by_path[p].source == p for p in ("stem_bn", "body", "head"))
    assert torch.equal(new.state_dict()["entry.weight"], old.state_dict()["stem.weight"])
    assert torch.equal(new.state_dict()["body.weight"], old.state_dict()["body.weight"])


def test_by_name_a_rename_is_new_and_dropped() -> None:
    old = archspec.build(archspec.loads(BEFORE))
    report, _ = archspec.transfer(archspec.loads(AFTER), old.state_dict(), match="name")
    assert report.ok  # nothing mismatched; new and dropped fail only --strict
    assert {
        layer.path or layer.source: layer.status for layer in report.layers if layer.status != "transferred"
    } == {
        "entry": "new",
        "extra": "new",
        "stem": "dropped",
    }


def test_a_checkpoint_of_another_architecture_is_a_clear_report() -> None:
    torch.manual_seed(0)
    report, _ = archspec.transfer("specs/lenet_bn.yaml", d2l.nin().state_dict())
    assert "E604" in [d.code for d in report.problems]
    assert report.counts["transferred"] == 0
    assert "another architecture" in report.problems[-1].hint


def test_a_module_is_filled_in_place_with_its_classes_as_kinds(resnet50_checkpoint: Path) -> None:
    torch.manual_seed(1)
    target = zoo()["resnet50"]()
    report, module = archspec.transfer(target, resnet50_checkpoint)
    assert module is target and report.ok
    assert report.layers[0].kind == "Conv2d" and report.layers[1].kind == "BatchNorm2d"


def test_a_non_tensor_entry_is_refused_before_anything_is_touched() -> None:
    net = archspec.build("specs/lenet_bn.yaml")
    before = {k: v.clone() for k, v in net.state_dict().items()}
    with pytest.raises(SpecError) as caught:
        archspec.transfer(net, {**net.state_dict(), "0.note": [1, 2]})
    assert caught.value.diagnostics[0].code == "E602"
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
