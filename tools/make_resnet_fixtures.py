"""Makes the torchvision-style ResNet fixtures of tests/fixtures/torchscript (run by hand; outputs committed, a few kB).

Each is torchvision.models.resnet.ResNet with basic blocks — its module names, its forward — at width 4 instead of 64
and one block per stage, for [N, 1, 28, 28] images and 10 classes, scripted:
  tv_resnet.pt          torchvision's stem (7×7 stride 2, 3×3 max-pool of stride 2)
  tv_resnet_small.pt    the common small-image stem (3×3 stride 1, no max-pool: maxpool = Identity)
  tv_resnet_tweaked.pt  torchvision's names, but a forward that halves the logits: Basin must not take it for a ResNet
Where torchvision is installed, the script checks that its parameter names are torchvision's.
    /usr/bin/python3 tools/make_resnet_fixtures.py
"""
import os

import torch
import torch.nn as nn

torch.manual_seed(1)
OUT = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "torchscript")


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, width=4, small=False, scale=1.0):
        super().__init__()
        self.scale = scale
        self.conv1 = nn.Conv2d(1, width, 3 if small else 7, 1 if small else 2, 1 if small else 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.Identity() if small else nn.MaxPool2d(3, 2, 1)
        self.layer1 = nn.Sequential(BasicBlock(width, width))
        self.layer2 = nn.Sequential(BasicBlock(width, 2 * width, 2))
        self.layer3 = nn.Sequential(BasicBlock(2 * width, 4 * width, 2))
        self.layer4 = nn.Sequential(BasicBlock(4 * width, 8 * width, 2))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8 * width, 10)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1)) * self.scale


def main():
    for name, model in [("tv_resnet", ResNet()), ("tv_resnet_small", ResNet(small=True)), ("tv_resnet_tweaked", ResNet(scale=0.5))]:
        with torch.no_grad():  # running statistics and affine parameters away from their initial values
            for m in model.modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.running_mean.uniform_(-0.2, 0.2)
                    m.running_var.uniform_(0.5, 1.5)
                    m.weight.uniform_(0.7, 1.3)
                    m.bias.uniform_(-0.1, 0.1)
        model.eval()
        torch.jit.script(model).save(os.path.join(OUT, f"{name}.pt"))
        print(name, sum(p.numel() for p in model.parameters()), "parameters")
    try:
        import torchvision
        ours = {k.replace("layer1.0", "L").split(".")[-1] for k in ResNet().state_dict()}
        theirs = {k.split(".")[-1] for k in torchvision.models.resnet18().state_dict()}
        names = {k for k in ResNet().state_dict()}
        reference = {k for k in torchvision.models.resnet18().state_dict() if k.split(".")[0] in ("conv1", "bn1", "fc") or ".0." in k}
        assert reference == names, sorted(reference ^ names)
        assert ours == theirs
        print("parameter names are torchvision's")
    except ImportError:
        print("torchvision not installed: names not checked")


if __name__ == "__main__":
    main()
