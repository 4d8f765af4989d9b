"""Export a trained checkpoint: fold BatchNorm, write the fp32 ONNX, calibrate
and quantize to the int8 params file the C++ baseline executor runs, and
evaluate fp32 vs int8 (bit-exact Python emulation of the executor) on val.

  /usr/bin/python3 reference/train/export.py --checkpoint /tmp/ref-train/best.pt \
      --face-mask ../shared/datasets/face-mask --out reference/model

Writes OUT/refnet.onnx, OUT/refnet.onnx.sha256, OUT/refnet-int8.json and
OUT/val_table.md. Deterministic for a given checkpoint.
"""
import argparse
import hashlib
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from common import CLASSES, evaluate, load_manifest_split, load_voc_split, resize_for_net, to_input
from model import INPUT_SIZE, RefNet

# The graph in execution order: (kind, output, inputs, conv module name).
GRAPH = [
    ("conv", "c1", ["input"]), ("conv", "c2", ["c1"]), ("conv", "c3", ["c2"]),
    ("conv", "c4", ["c3"]), ("conv", "c5", ["c4"]), ("conv", "c6", ["c5"]),
    ("conv", "c7", ["c6"]), ("conv", "c8", ["c7"]), ("conv", "c9", ["c8"]),
    ("up", "up1", ["c9"]), ("cat", "cat1", ["up1", "c7"]),
    ("conv", "u1", ["cat1"]), ("conv", "u2", ["u1"]),
    ("up", "up2", ["u2"]), ("cat", "cat2", ["up2", "c5"]),
    ("conv", "u3", ["cat2"]), ("conv", "u4", ["u3"]),
    ("up", "up3", ["u4"]), ("cat", "cat3", ["up3", "c3"]),
    ("conv", "u5", ["cat3"]), ("conv", "u6", ["u5"]),
    ("conv", "head", ["u6"]),
]


def fold(model):
    """{name: (weight float64 OIHW, bias float64, stride, pad, relu)}"""
    out = {}
    for name, mod in model.named_children():
        if name == "head":
            out[name] = (mod.weight.detach().double(), mod.bias.detach().double(), 1, 0, False)
            continue
        conv, bn = mod.conv, mod.bn
        g = bn.weight.detach().double() / torch.sqrt(bn.running_var.double() + bn.eps)
        w = conv.weight.detach().double() * g.view(-1, 1, 1, 1)
        b = bn.bias.detach().double() - bn.running_mean.double() * g
        out[name] = (w, b, conv.stride[0], conv.padding[0], True)
    return out


class Folded(nn.Module):
    def __init__(self, params):
        super().__init__()
        self.names = [n for k, n, _ in GRAPH if k == "conv"]
        for n in self.names:
            w, b, s, p, _ = params[n]
            conv = nn.Conv2d(w.shape[1], w.shape[0], w.shape[2], s, p, bias=True)
            conv.weight.data = w.float()
            conv.bias.data = b.float()
            setattr(self, n, conv)
        self.relu = {n: params[n][4] for n in self.names}

    def forward(self, x, record=None):
        t = {"input": x}
        for kind, name, ins in GRAPH:
            if kind == "conv":
                y = getattr(self, name)(t[ins[0]])
                t[name] = F.relu(y) if self.relu[name] else y
            elif kind == "up":
                t[name] = F.interpolate(t[ins[0]], scale_factor=2.0, mode="nearest")
            else:
                t[name] = torch.cat([t[i] for i in ins], 1)
        if record is not None:
            record.update(t)
        return t["head"]


def round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def mse_clip(v):
    """The clip value (a percentile of |v| from 99 to 100) whose int8 quantization of v
    has the least squared error; evaluated on a fixed-stride subsample."""
    sub = np.sort(v[:: max(1, len(v) // 2000000)].astype(np.float64))
    best, best_err = sub[-1], None
    for p in np.concatenate([np.linspace(99.0, 99.9, 10), np.linspace(99.91, 100.0, 10)]):
        c = float(np.percentile(sub, p))
        if c <= 0:
            continue
        s = c / 127.0
        q = np.clip(round_half_away(sub / s), -127, 127) * s
        err = float(np.sum((q - sub) ** 2))
        if best_err is None or err < best_err:
            best, best_err = c, err
    return best


def quantize(params, folded, calib_frames, percentile):
    # Activation ranges on the calibration frames.
    acts = {}
    with torch.no_grad():
        for _, img, _, _ in calib_frames:
            rec = {}
            folded(to_input(resize_for_net(img))[None], rec)
            for k, v in rec.items():
                acts.setdefault(k, []).append(v.abs().flatten().numpy())
    scale = {"input": 1.0 / 128}
    for k, vs in acts.items():
        if k in ("input", "head"):
            continue
        v = np.concatenate(vs)
        if percentile > 0:
            r = float(np.percentile(v, percentile))
        else:
            r = mse_clip(v)
        scale[k] = max(r, 1e-6) / 127.0
    # Tensors joined by a concat (and the upsample feeding it) share one scale.
    for kind, name, ins in GRAPH:
        if kind == "cat":
            srcs = []
            for i in ins:
                srcs.append(i)
                while i.startswith("up"):
                    i = [g for g in GRAPH if g[1] == i][0][2][0]
                    srcs.append(i)
            s = max(scale[i] for i in srcs)
            for i in srcs + [name]:
                scale[i] = s
    # Upsamples keep their input's scale.
    for kind, name, ins in GRAPH:
        if kind == "up":
            scale[name] = scale[ins[0]]
    layers = {}
    for kind, name, ins in GRAPH:
        if kind != "conv":
            continue
        w, b, s, p, relu = params[name]
        w = w.numpy()
        b = b.numpy()
        s_in = scale[ins[0]]
        wmax = np.abs(w).reshape(w.shape[0], -1).max(1)
        s_w = np.where(wmax > 0, wmax / 127.0, 1.0)
        qw = np.clip(round_half_away(w / s_w[:, None, None, None]), -127, 127).astype(np.int64)
        qb = np.clip(round_half_away(b / (s_in * s_w)), -2**31, 2**31 - 1).astype(np.int64)
        L = {"w": qw, "b": qb, "stride": s, "pad": p, "relu": relu}
        if name == "head":
            L["out_scale"] = (s_in * s_w).astype(np.float32)
        else:
            mults, shifts = [], []
            for c in range(w.shape[0]):
                M = s_in * s_w[c] / scale[name]
                f, e = math.frexp(M)
                m = int(round(f * 2**31))
                if m == 2**31:
                    m, e = 2**30, e + 1
                mults.append(m)
                shifts.append(-e)
            L["mult"] = np.array(mults, np.int64)
            L["shift"] = np.array(shifts, np.int64)
        layers[name] = L
    return scale, layers


def requantize(acc, mult, shift, relu):
    n = (31 + shift).reshape(1, -1, 1, 1)
    prod = acc * mult.reshape(1, -1, 1, 1)
    half = np.left_shift(np.int64(1), n - 1)
    q = np.where(prod >= 0, (prod + half) >> n, -((-prod + half) >> n))
    return np.clip(q, 0 if relu else -128, 127)


def run_int8(layers, rgb320):
    """Bit-exact emulation of maskbench::reference::Int8Executor; returns the int32 head."""
    t = {"input": torch.from_numpy(rgb320.astype(np.int64) - 128).permute(2, 0, 1)[None].double()}
    for kind, name, ins in GRAPH:
        if kind == "up":
            t[name] = F.interpolate(t[ins[0]], scale_factor=2.0, mode="nearest")
        elif kind == "cat":
            t[name] = torch.cat([t[i] for i in ins], 1)
        else:
            L = layers[name]
            acc = F.conv2d(t[ins[0]], torch.from_numpy(L["w"]).double(), None, L["stride"], L["pad"])
            acc = acc.numpy().astype(np.int64) + L["b"].reshape(1, -1, 1, 1)
            if name == "head":
                return acc[0]
            t[name] = torch.from_numpy(requantize(acc, L["mult"], L["shift"], L["relu"])).double()


class Int8Model:
    def __init__(self, layers):
        self.layers = layers

    def eval(self):
        pass

    def __call__(self, x):
        outs = []
        for xi in x:
            rgb = np.round(xi.permute(1, 2, 0).numpy() * 128 + 128).astype(np.int64)
            acc = run_int8(self.layers, rgb)
            outs.append(torch.from_numpy(acc.astype(np.float64) * self.layers["head"]["out_scale"].astype(np.float64).reshape(-1, 1, 1)).float())
        return torch.stack(outs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--face-mask", required=True)
    ap.add_argument("--synth-val", default=None)
    ap.add_argument("--out", required=True)
    ap.add_argument("--calib-frames", type=int, default=64)
    ap.add_argument("--percentile", type=float, default=100.0,
                    help="activation clip percentile; 0 = the clip with the least squared int8 error")
    ap.add_argument("--skip-eval", action="store_true", help="do not write val_table.md")
    args = ap.parse_args()
    torch.set_num_threads(2)
    ck = torch.load(args.checkpoint, map_location="cpu")
    model = RefNet()
    model.load_state_dict(ck["model"])
    model.eval()
    params = fold(model)
    folded = Folded(params).eval()
    os.makedirs(args.out, exist_ok=True)

    train = load_voc_split(args.face_mask, "train")
    val = load_voc_split(args.face_mask, "val")
    x = to_input(resize_for_net(val[0][1]))[None]
    with torch.no_grad():
        d = (model(x) - folded(x)).abs().max().item()
    print(f"checkpoint epoch {ck.get('epoch')}; BN fold max abs diff {d:.2e}")

    onnx_path = os.path.join(args.out, "refnet.onnx")
    torch.onnx.export(folded, torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE), onnx_path, opset_version=11,
                      input_names=["input"], output_names=["head"], do_constant_folding=True)
    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    open(onnx_path + ".sha256", "w").write(f"{sha}  refnet.onnx\n")
    print(f"wrote {onnx_path} sha256 {sha}")

    scale, layers = quantize(params, folded, train[:args.calib_frames], args.percentile)
    shapes = {}
    with torch.no_grad():
        rec = {}
        folded(torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE), rec)
        for k, v in rec.items():
            shapes[k] = list(v.shape[1:])
    tensors = [{"name": "input", "shape": shapes["input"], "scale": 1.0 / 128}]
    for kind, name, ins in GRAPH:
        tensors.append({"name": name, "shape": shapes[name], "scale": 0.0 if name == "head" else scale[name]})
    jl = []
    for kind, name, ins in GRAPH:
        if kind == "up":
            jl.append({"name": name, "op": "upsample2x", "inputs": ins, "output": name})
        elif kind == "cat":
            jl.append({"name": name, "op": "concat", "inputs": ins, "output": name})
        else:
            L = layers[name]
            e = {"name": name, "op": "conv", "inputs": ins, "output": name, "kernel": int(L["w"].shape[2]),
                 "stride": L["stride"], "pad": L["pad"], "relu": L["relu"], "requantize": name != "head",
                 "bias": L["b"].tolist(), "weights": L["w"].flatten().tolist()}
            if name == "head":
                e["output_scale"] = [float(v) for v in L["out_scale"]]
            else:
                e["multiplier"] = L["mult"].tolist()
                e["shift"] = L["shift"].tolist()
            jl.append(e)
    doc = {"format": "maskbench.reference-int8", "format_version": 1, "onnx_sha256": sha,
           "calibration": {"frames": f"face-mask train split, first {args.calib_frames} names of splits/train.txt",
                           "statistic": (f"{args.percentile} percentile of |activation|" if args.percentile > 0 else
                                         "least-squared-error clip of |activation| (99-100th percentile grid)") +
                                        ", scale = clip / 127"},
           "tensors": tensors, "layers": jl, "output": "head"}
    with open(os.path.join(args.out, "refnet-int8.json"), "w") as f:
        # One layer per line keeps diffs readable.
        f.write("{\n")
        keys = [k for k in doc if k != "layers"]
        for k in keys:
            f.write(f"  {json.dumps(k)}: {json.dumps(doc[k])},\n")
        f.write('  "layers": [\n')
        f.write(",\n".join("    " + json.dumps(l) for l in jl))
        f.write("\n  ]\n}\n")
    print("wrote int8 params")

    # Golden int32 head for a fixed pattern input (no data needed) and for the
    # first val frame: C++ tests compare the executor with these bit for bit.
    golden = {"pattern": "rgb[y][x][c] = (7*x + 13*y + 71*c + (x*y) % 11) % 256, 320x320"}
    yy, xx, cc = np.meshgrid(np.arange(INPUT_SIZE), np.arange(INPUT_SIZE), np.arange(3), indexing="ij")
    pattern = (7 * xx + 13 * yy + 71 * cc + (xx * yy) % 11) % 256
    for key, rgb in (("pattern_head_sha256", pattern),
                     ("val0_head_sha256", resize_for_net(val[0][1]).astype(np.int64))):
        acc = run_int8(layers, rgb)
        golden[key] = hashlib.sha256(acc.astype("<i4").tobytes()).hexdigest()
    golden["val0_name"] = val[0][0]
    with open(os.path.join(args.out, "golden.json"), "w") as f:
        json.dump(golden, f, indent=2)
        f.write("\n")

    if args.skip_eval:
        return
    # Val table: fp32 (folded, what the ONNX holds) vs int8 emulation.
    rows = []
    sets = [("face-mask val", val)]
    if args.synth_val:
        sets.append(("synth", load_manifest_split(args.synth_val)))
    for label, frames in sets:
        aps32, m32 = evaluate(folded, frames)
        aps8, m8 = evaluate(Int8Model(layers), frames)
        rows.append((label, "fp32", m32, aps32))
        rows.append((label, "int8", m8, aps8))
        print(label, "fp32", m32, aps32, "int8", m8, aps8, "ratio", m8 / max(m32, 1e-9))
    with open(os.path.join(args.out, "val_table.md"), "w") as f:
        f.write(f"Selection-time VOC AP50 (Python, reference/train/common.py), checkpoint epoch {ck.get('epoch')}\n\n")
        f.write("| data | model | mAP50 | " + " | ".join(CLASSES) + " |\n|---|---|---|---|---|---|\n")
        for label, kind, m, aps in rows:
            f.write(f"| {label} | {kind} | {m:.4f} | " + " | ".join(f"{a:.4f}" for a in aps) + " |\n")


if __name__ == "__main__":
    main()
