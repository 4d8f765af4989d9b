"""Train the maskbench reference detector.

One command (from the repository root, see docs/reference.md):
  nice -n 10 /usr/bin/python3 reference/train/train.py \
      --face-mask ../shared/datasets/face-mask [--synth DS_DIR] --out /tmp/ref-train

Writes OUT/best.pt (the epoch with the best val mAP@0.5), OUT/last.pt and
OUT/train_log.txt. Export with reference/train/export.py.
"""
import argparse
import math
import os
import random
import time

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from common import evaluate, load_manifest_split, load_voc_split, to_input
from model import INPUT_SIZE, NUM_CLASSES, STRIDE, RefNet

GRID = INPUT_SIZE // STRIDE


def augment(rng, img, boxes, labels, crop=INPUT_SIZE):
    """Random zoom/aspect/placement around the plain INPUT_SIZE resize, flip and colour;
    returns a crop x crop window of the INPUT_SIZE canvas (fully convolutional net)."""
    h, w = img.shape[:2]
    sx, sy = INPUT_SIZE / w, INPUT_SIZE / h
    zoom = math.exp(rng.uniform(math.log(0.6), math.log(1.7)))
    aspect = math.exp(rng.uniform(-0.15, 0.15))
    ax, ay = sx * zoom * aspect, sy * zoom / aspect
    out_w, out_h = w * ax, h * ay
    tx = rng.uniform(min(0.0, INPUT_SIZE - out_w), max(0.0, INPUT_SIZE - out_w))
    ty = rng.uniform(min(0.0, INPUT_SIZE - out_h), max(0.0, INPUT_SIZE - out_h))
    # The crop window's origin inside the INPUT_SIZE canvas.
    ox = rng.uniform(0, INPUT_SIZE - crop) if crop < INPUT_SIZE else 0.0
    oy = rng.uniform(0, INPUT_SIZE - crop) if crop < INPUT_SIZE else 0.0
    tx, ty = tx - ox, ty - oy
    flip = rng.random() < 0.5
    if flip:
        m = np.array([[-ax, 0, tx + out_w], [0, ay, ty]], np.float32)
    else:
        m = np.array([[ax, 0, tx], [0, ay, ty]], np.float32)
    fill = tuple(int(v) for v in rng.integers(0, 256, 3)) if rng.random() < 0.5 else (128, 128, 128)
    out = cv2.warpAffine(img, m, (crop, crop), flags=cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=fill)
    b = boxes.copy()
    if len(b):
        xs = b[:, [0, 2]] * m[0, 0] + m[0, 2]
        b[:, 0], b[:, 2] = xs.min(1), xs.max(1)
        b[:, [1, 3]] = b[:, [1, 3]] * m[1, 1] + m[1, 2]
        cx, cy = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
        inside = (cx >= 0) & (cx < crop) & (cy >= 0) & (cy < crop)
        b = np.clip(b, 0, crop - 1e-3)
        big = ((b[:, 2] - b[:, 0]) >= 2) & ((b[:, 3] - b[:, 1]) >= 2)
        keep = inside & big
        b, labels = b[keep], labels[keep]
    # colour: brightness, contrast, saturation, occasional grey / blur
    f = out.astype(np.float32)
    if rng.random() < 0.8:
        f = f * rng.uniform(0.6, 1.4) + rng.uniform(-30, 30)
        grey = f.mean(2, keepdims=True)
        f = grey + (f - grey) * rng.uniform(0.5, 1.5)
    if rng.random() < 0.05:
        f = np.repeat(f.mean(2, keepdims=True), 3, 2)
    out = np.clip(f, 0, 255).astype(np.uint8)
    if rng.random() < 0.1:
        out = cv2.GaussianBlur(out, (3, 3), 0)
    return out, b, labels


def make_targets(boxes, labels, crop=INPUT_SIZE):
    GRID = crop // STRIDE
    hm = np.zeros((NUM_CLASSES, GRID, GRID), np.float32)
    reg = np.zeros((4, GRID, GRID), np.float32)
    mask = np.zeros((GRID, GRID), np.float32)
    ys, xs = np.mgrid[0:GRID, 0:GRID].astype(np.float32)
    # Larger boxes first so small faces win a shared centre cell.
    order = np.argsort(-((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))) if len(boxes) else []
    for k in order:
        x0, y0, x1, y1 = boxes[k] / STRIDE
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        ix, iy = min(int(cx), GRID - 1), min(int(cy), GRID - 1)
        bw, bh = max(x1 - x0, 0.25), max(y1 - y0, 0.25)
        r = max(0, int(0.18 * math.sqrt(bw * bh)))
        sigma = (2 * r + 1) / 6.0
        lo_x, hi_x = max(0, ix - 3 * r - 1), min(GRID, ix + 3 * r + 2)
        lo_y, hi_y = max(0, iy - 3 * r - 1), min(GRID, iy + 3 * r + 2)
        g = np.exp(-((xs[lo_y:hi_y, lo_x:hi_x] - ix) ** 2 + (ys[lo_y:hi_y, lo_x:hi_x] - iy) ** 2) / (2 * sigma * sigma))
        c = labels[k]
        hm[c, lo_y:hi_y, lo_x:hi_x] = np.maximum(hm[c, lo_y:hi_y, lo_x:hi_x], g)
        hm[c, iy, ix] = 1.0
        reg[:, iy, ix] = [cx - ix, cy - iy, math.log(bw), math.log(bh)]
        mask[iy, ix] = 1.0
    return hm, reg, mask


def focal_loss(logits, gt, pos_weights=(1.0, 1.5, 3.0)):
    p = torch.sigmoid(logits).clamp(1e-4, 1 - 1e-4)
    pos = gt.eq(1).float()
    neg = 1 - pos
    pos_loss = -(torch.log(p) * (1 - p) ** 2 * pos)
    neg_loss = -(torch.log(1 - p) * p ** 2 * (1 - gt) ** 4 * neg)
    # Rare classes count more (mask_weared_incorrect has ~81 train boxes).
    w = torch.tensor(list(pos_weights)).view(1, 3, 1, 1)
    num_pos = pos.sum().clamp(min=1)
    return ((pos_loss * w).sum() + neg_loss.sum()) / num_pos


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--face-mask", required=True)
    ap.add_argument("--synth", default=None, help="a maskbench data set made by `maskbench dataset synth`")
    ap.add_argument("--synth-val", default=None, help="optional synthetic data set to report on")
    ap.add_argument("--out", required=True)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=20201)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=2)
    ap.add_argument("--max-minutes", type=float, default=45.0)
    ap.add_argument("--init", default=None, help="start from this checkpoint's weights (stage 2)")
    ap.add_argument("--warmup-epochs", type=float, default=1.0)
    ap.add_argument("--crop", type=int, default=INPUT_SIZE, help="training window (multiple of 32)")
    ap.add_argument("--pos-weights", default="1,1.5,3",
                    help="focal-loss weight of positive terms per class (with_mask,without_mask,incorrect)")
    ap.add_argument("--oversample", default="0.5,2",
                    help="extra sampling weight of a face-mask frame holding without_mask, incorrect")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    log = open(os.path.join(args.out, "train_log.txt"), "w")

    def say(msg):
        print(msg, flush=True)
        log.write(msg + "\n")
        log.flush()

    t0 = time.time()
    train = load_voc_split(args.face_mask, "train")
    val = load_voc_split(args.face_mask, "val")
    synth = load_manifest_split(args.synth) if args.synth else []
    synth_val = load_manifest_split(args.synth_val) if args.synth_val else []
    say(f"args {vars(args)}")
    say(f"data: face-mask train {len(train)} val {len(val)}, synth {len(synth)}, synth-val {len(synth_val)} "
        f"(loaded in {time.time() - t0:.1f}s)")
    pos_weights = tuple(float(v) for v in args.pos_weights.split(","))
    over = tuple(float(v) for v in args.oversample.split(","))
    assert len(pos_weights) == 3 and len(over) == 2, "--pos-weights takes 3 numbers, --oversample 2"
    # Oversample frames holding rare classes.
    pool, weights = [], []
    for f in train:
        pool.append(f)
        weights.append(1.0 + over[0] * float((f[3] == 1).any()) + over[1] * float((f[3] == 2).any()))
    for f in synth:
        pool.append(f)
        weights.append(1.0)
    weights = np.array(weights) / np.sum(weights)
    per_epoch = len(train) + len(synth) // 2

    model = RefNet()
    if args.init:
        ck = torch.load(args.init, map_location="cpu")
        model.load_state_dict(ck["model"])
        say(f"init from {args.init} (epoch {ck.get('epoch')})")
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps_per_epoch = per_epoch // args.batch
    total = steps_per_epoch * args.epochs
    warm = int(steps_per_epoch * args.warmup_epochs)

    def lr_at(step):
        if step < warm:
            return args.lr * (step + 1) / warm
        return args.lr * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

    best = -1.0
    step = 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        te = time.time()
        sums = np.zeros(3)
        for _ in range(steps_per_epoch):
            idx = rng.choice(len(pool), args.batch, p=weights)
            xs, hms, regs, masks = [], [], [], []
            for i in idx:
                _, img, b, l = pool[i]
                im, b, l = augment(rng, img, b, l, args.crop)
                hm, reg, mask = make_targets(b, l, args.crop)
                xs.append(to_input(im)); hms.append(hm); regs.append(reg); masks.append(mask)
            x = torch.stack(xs)
            hm = torch.from_numpy(np.stack(hms)); reg = torch.from_numpy(np.stack(regs))
            mask = torch.from_numpy(np.stack(masks))[:, None]
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            y = model(x)
            l_hm = focal_loss(y[:, :NUM_CLASSES], hm, pos_weights)
            n = mask.sum().clamp(min=1)
            l_off = (torch.abs(y[:, 3:5] - reg[:, 0:2]) * mask).sum() / n
            l_size = (torch.abs(y[:, 5:7] - reg[:, 2:4]) * mask).sum() / n
            loss = l_hm + l_off + l_size
            opt.zero_grad()
            loss.backward()
            opt.step()
            sums += [l_hm.item(), l_off.item(), l_size.item()]
            step += 1
        sums /= steps_per_epoch
        msg = (f"epoch {epoch:3d} lr {lr_at(step - 1):.5f} loss hm {sums[0]:.4f} off {sums[1]:.4f} "
               f"size {sums[2]:.4f} ({time.time() - te:.0f}s, total {(time.time() - t0) / 60:.1f} min)")
        elapsed = (time.time() - t0) / 60
        last = epoch == args.epochs or elapsed > args.max_minutes
        if epoch % args.eval_every == 0 or last:
            aps, m = evaluate(model, val)
            msg += f" | val mAP50 {m:.4f} AP50 " + " ".join(f"{a:.4f}" for a in aps)
            if synth_val:
                saps, ms = evaluate(model, synth_val)
                msg += f" | synth mAP50 {ms:.4f} AP50 " + " ".join(f"{a:.4f}" for a in saps)
            if m > best:
                best = m
                torch.save({"model": model.state_dict(), "epoch": epoch, "val_map50": m, "val_ap50": aps},
                           os.path.join(args.out, "best.pt"))
                msg += " *"
        say(msg)
        torch.save({"model": model.state_dict(), "epoch": epoch}, os.path.join(args.out, "last.pt"))
        if last:
            break
    say(f"done: best val mAP50 {best:.4f} in {(time.time() - t0) / 60:.1f} min")


if __name__ == "__main__":
    main()
