"""The maskbench reference detector (training-time definition, with BatchNorm).

Only NPU-friendly operators: conv 3x3 (stride 1 or 2, pad 1), conv 1x1, ReLU,
nearest 2x upsample and channel concat. BatchNorm is folded into the convs
before export, so the exported ONNX holds only Conv, Relu, Resize and Concat.

Input: 1x3x320x320, (pixel - 128) / 128, RGB. Output: 1x7x80x80 (stride 4):
channels 0..2 class heatmap logits, 3..4 centre offset (x, y) in grid cells,
5..6 log box size (w, h) in grid cells.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

INPUT_SIZE = 320
STRIDE = 4
NUM_CLASSES = 3
HEAD_CHANNELS = NUM_CLASSES + 4


class ConvBnRelu(nn.Module):
    def __init__(self, cin, cout, k, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class RefNet(nn.Module):
    # (name, cin, cout, kernel, stride); the order is the export/layer-table order.
    def __init__(self):
        super().__init__()
        self.c1 = ConvBnRelu(3, 16, 3, 2)     # 160
        self.c2 = ConvBnRelu(16, 24, 3, 2)    # 80
        self.c3 = ConvBnRelu(24, 24, 3)       # 80  (skip to the stride-4 head)
        self.c4 = ConvBnRelu(24, 48, 3, 2)    # 40
        self.c5 = ConvBnRelu(48, 48, 3)       # 40  (skip)
        self.c6 = ConvBnRelu(48, 64, 3, 2)    # 20
        self.c7 = ConvBnRelu(64, 64, 3)       # 20  (skip)
        self.c8 = ConvBnRelu(64, 64, 3, 2)    # 10
        self.c9 = ConvBnRelu(64, 64, 3)       # 10
        self.u1 = ConvBnRelu(128, 64, 1)      # 20: cat(up(c9), c7)
        self.u2 = ConvBnRelu(64, 64, 3)       # 20
        self.u3 = ConvBnRelu(112, 48, 1)      # 40: cat(up(u2), c5)
        self.u4 = ConvBnRelu(48, 48, 3)       # 40
        self.u5 = ConvBnRelu(72, 32, 1)       # 80: cat(up(u4), c3)
        self.u6 = ConvBnRelu(32, 32, 3)       # 80
        self.head = nn.Conv2d(32, HEAD_CHANNELS, 1)
        nn.init.constant_(self.head.bias, 0.0)
        with torch.no_grad():
            self.head.bias[:NUM_CLASSES] = -4.6  # prior 0.01
            self.head.weight.mul_(0.1)

    def forward(self, x):
        up = lambda t: F.interpolate(t, scale_factor=2.0, mode="nearest")
        x = self.c2(self.c1(x))
        s4 = self.c3(x)
        s8 = self.c5(self.c4(s4))
        s16 = self.c7(self.c6(s8))
        s32 = self.c9(self.c8(s16))
        y = self.u2(self.u1(torch.cat([up(s32), s16], 1)))
        y = self.u4(self.u3(torch.cat([up(y), s8], 1)))
        y = self.u6(self.u5(torch.cat([up(y), s4], 1)))
        return self.head(y)
