"""The five reference models of bench/ in PyTorch: the same layers, shapes,
batch and optimizer as bench/models/*.lua (PyTorch's defaults match nncc's
where the scripts leave a value out: batch norm momentum 0.1, eps 1e-5;
Adam betas (0.9, 0.999), eps 1e-8).

MODELS[name]() -> (module, optimizer, input shape per sample, batch, classes)
"""
import torch
import torch.nn as nn


def mlp():
    m = nn.Sequential(nn.Flatten(), nn.Linear(784, 1024), nn.ReLU(),
                      nn.Linear(1024, 1024), nn.ReLU(), nn.Linear(1024, 10))
    return m, torch.optim.SGD(m.parameters(), lr=0.01), (1, 28, 28), 128, 10


def mlp_small():
    m = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(),
                      nn.Linear(128, 10))
    return m, torch.optim.SGD(m.parameters(), lr=0.01), (1, 28, 28), 32, 10


def lenet():
    m = nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # [6,14,14]
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),             # [16,5,5]
        nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))
    return m, torch.optim.Adam(m.parameters(), lr=1e-3), (1, 28, 28), 64, 10


def _conv_bn_relu(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False),
            nn.BatchNorm2d(cout), nn.ReLU()]


def cnn_bn():
    m = nn.Sequential(
        *_conv_bn_relu(1, 32), *_conv_bn_relu(32, 32), nn.MaxPool2d(2),   # [32,14,14]
        *_conv_bn_relu(32, 64), *_conv_bn_relu(64, 64), nn.MaxPool2d(2),  # [64,7,7]
        nn.Flatten(), nn.Linear(64 * 7 * 7, 10))
    opt = torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9, nesterov=True)
    return m, opt, (1, 28, 28), 64, 10


def _conv_bn(cin, cout, k, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False),
        nn.BatchNorm2d(cout))


class BasicBlock(nn.Module):
    """relu(bn(conv(relu(bn(conv(h))))) + shortcut(h)); 1x1 projection when strided."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = _conv_bn(cin, cout, 3, stride)
        self.b = _conv_bn(cout, cout, 3, 1)
        self.short = _conv_bn(cin, cout, 1, stride) if stride != 1 else None

    def forward(self, h):
        r = self.b(torch.relu(self.a(h)))
        s = h if self.short is None else self.short(h)
        return torch.relu(r + s)


class ResNet8(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = _conv_bn(3, 16, 3, 1)
        self.blocks = nn.Sequential(BasicBlock(16, 16, 1),     # [16,32,32]
                                    BasicBlock(16, 32, 2),     # [32,16,16]
                                    BasicBlock(32, 64, 2))     # [64,8,8]
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        h = self.blocks(torch.relu(self.stem(x)))
        return self.fc(h.mean(dim=(2, 3)))


def resnet8():
    m = ResNet8()
    opt = torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    return m, opt, (3, 32, 32), 64, 10


MODELS = {"mlp": mlp, "mlp_small": mlp_small, "lenet": lenet,
          "cnn_bn": cnn_bn, "resnet8": resnet8}
