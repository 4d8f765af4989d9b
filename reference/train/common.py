"""Shared pieces of the reference training recipe: data loading, the
post-processing (a Python mirror of reference/src/postprocess.cc) and the
VOC AP used to select the epoch. The C++ scoring engine is the authority for
reported numbers; this AP is only for model selection during training."""
import json
import os
import xml.etree.ElementTree as ET

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from model import INPUT_SIZE, NUM_CLASSES, STRIDE

CLASSES = ["with_mask", "without_mask", "mask_weared_incorrect"]


def load_voc_split(root, split):
    """[(rgb uint8 image, float32 boxes Nx4 [x0,y0,x1,y1], int64 labels N)]"""
    names = [l.strip() for l in open(os.path.join(root, "splits", split + ".txt")) if l.strip()]
    out = []
    for name in names:
        xml = os.path.join(root, "annotations", name + ".xml")
        r = ET.parse(xml).getroot()
        img = cv2.imread(os.path.join(root, "images", name + ".jpg"), cv2.IMREAD_COLOR)
        if img is None:
            raise RuntimeError(f"{root}/images/{name}.jpg: cannot read")
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        h, w = img.shape[:2]
        boxes, labels = [], []
        for o in r.findall("object"):
            cls = o.find("name").text.strip()
            if cls not in CLASSES:
                raise RuntimeError(f"{xml}: unknown class {cls}")
            b = o.find("bndbox")
            x0, y0, x1, y1 = (float(b.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax"))
            x0, x1 = max(0.0, min(x0, w - 1.0)), max(0.0, min(x1, w - 1.0))
            y0, y1 = max(0.0, min(y0, h - 1.0)), max(0.0, min(y1, h - 1.0))
            if x1 <= x0 or y1 <= y0:
                continue
            boxes.append([x0, y0, x1, y1])
            labels.append(CLASSES.index(cls))
        out.append((name, img, np.array(boxes, np.float32).reshape(-1, 4), np.array(labels, np.int64)))
    return out


def load_manifest_split(ds_dir, split=None):
    """Frames of a maskbench data set (image media only), same tuple layout."""
    m = json.load(open(os.path.join(ds_dir, "manifest.json")))
    names = {c["id"]: c["name"] for c in m["classes"]}
    out = []
    for f in m["frames"]:
        if split and f["split"] != split:
            continue
        md = m["media"][f["media"]]
        if md["kind"] != "image":
            continue
        p = md["path"] if os.path.isabs(md["path"]) else os.path.join(ds_dir, md["path"])
        img = cv2.imread(p, cv2.IMREAD_COLOR)
        if img is None:
            raise RuntimeError(f"{p}: cannot read")
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
        boxes, labels = [], []
        for a in f["annotations"]:
            x, y, w, h = a["bbox"]
            boxes.append([x, y, x + w, y + h])
            labels.append(CLASSES.index(names[a["class"]]))
        out.append((f["name"], img, np.array(boxes, np.float32).reshape(-1, 4), np.array(labels, np.int64)))
    return out


def to_input(rgb_320):
    """uint8 HxWx3 RGB (already INPUT_SIZE square) -> float tensor 3xHxW, (p-128)/128."""
    return torch.from_numpy((rgb_320.astype(np.float32) - 128.0) / 128.0).permute(2, 0, 1)


def resize_for_net(rgb):
    return cv2.resize(rgb, (INPUT_SIZE, INPUT_SIZE), interpolation=cv2.INTER_LINEAR)


def decode(out, frame_w, frame_h, score_thr=0.05, nms_iou=0.5, max_det=100):
    """out: 7xGxG tensor for one frame -> list of (x, y, w, h, cls, score) in frame px.
    Mirrors maskbench::reference::Decode (see docs/reference.md)."""
    g = out.shape[-1]
    logits = out[:NUM_CLASSES]
    hmax = F.max_pool2d(logits[None], 3, 1, 1)[0]
    peak = (logits >= hmax)
    score = torch.sigmoid(logits)
    keep = peak & (score >= score_thr)
    c, yy, xx = torch.nonzero(keep, as_tuple=True)
    if len(c) == 0:
        return []
    s = score[c, yy, xx]
    ox, oy = out[3, yy, xx], out[4, yy, xx]
    bw, bh = torch.exp(out[5, yy, xx]) * STRIDE, torch.exp(out[6, yy, xx]) * STRIDE
    cx, cy = (xx.float() + ox) * STRIDE, (yy.float() + oy) * STRIDE
    sx, sy = frame_w / INPUT_SIZE, frame_h / INPUT_SIZE
    x0 = ((cx - bw / 2) * sx).clamp(0, frame_w)
    x1 = ((cx + bw / 2) * sx).clamp(0, frame_w)
    y0 = ((cy - bh / 2) * sy).clamp(0, frame_h)
    y1 = ((cy + bh / 2) * sy).clamp(0, frame_h)
    order = torch.argsort(-s, stable=True) if hasattr(torch, "argsort") else None
    dets = []
    boxes = torch.stack([x0, y0, x1, y1], 1)[order].numpy()
    cls = c[order].numpy()
    sc = s[order].numpy()
    suppressed = np.zeros(len(sc), bool)
    for i in range(len(sc)):
        if suppressed[i]:
            continue
        if boxes[i, 2] <= boxes[i, 0] or boxes[i, 3] <= boxes[i, 1]:
            continue
        dets.append((boxes[i, 0], boxes[i, 1], boxes[i, 2] - boxes[i, 0], boxes[i, 3] - boxes[i, 1], int(cls[i]), float(sc[i])))
        if len(dets) >= max_det:
            break
        if nms_iou < 1.0:
            j = np.arange(i + 1, len(sc))
            j = j[(cls[j] == cls[i]) & ~suppressed[j]]
            if len(j):
                ix0 = np.maximum(boxes[i, 0], boxes[j, 0]); iy0 = np.maximum(boxes[i, 1], boxes[j, 1])
                ix1 = np.minimum(boxes[i, 2], boxes[j, 2]); iy1 = np.minimum(boxes[i, 3], boxes[j, 3])
                inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
                a_i = (boxes[i, 2] - boxes[i, 0]) * (boxes[i, 3] - boxes[i, 1])
                a_j = (boxes[j, 2] - boxes[j, 0]) * (boxes[j, 3] - boxes[j, 1])
                iou = inter / np.maximum(a_i + a_j - inter, 1e-9)
                suppressed[j[iou > nms_iou]] = True
    return dets


def voc_ap(dets_per_image, gts_per_image, num_classes=NUM_CLASSES, iou_thr=0.5):
    """VOC devkit all-point AP with the +1 pixel convention. dets: list per image of
    (x,y,w,h,cls,score); gts: list per image of (boxes Nx4 [x0,y0,x1,y1], labels)."""
    aps = []
    for c in range(num_classes):
        recs = []
        npos = 0
        gt_c = []
        for boxes, labels in gts_per_image:
            b = boxes[labels == c]
            gt_c.append((b, np.zeros(len(b), bool)))
            npos += len(b)
        for i, dets in enumerate(dets_per_image):
            for d in dets:
                if d[4] == c:
                    recs.append((d[5], i, d[0], d[1], d[0] + d[2], d[1] + d[3]))
        if npos == 0:
            aps.append(float("nan"))
            continue
        recs.sort(key=lambda r: -r[0])
        tp = np.zeros(len(recs)); fp = np.zeros(len(recs))
        for k, (_, i, x0, y0, x1, y1) in enumerate(recs):
            g, used = gt_c[i]
            if len(g) == 0:
                fp[k] = 1; continue
            iw = np.minimum(x1, g[:, 2]) - np.maximum(x0, g[:, 0]) + 1
            ih = np.minimum(y1, g[:, 3]) - np.maximum(y0, g[:, 1]) + 1
            inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
            uni = (x1 - x0 + 1) * (y1 - y0 + 1) + (g[:, 2] - g[:, 0] + 1) * (g[:, 3] - g[:, 1] + 1) - inter
            ov = inter / uni
            j = int(np.argmax(ov))
            if ov[j] >= iou_thr and not used[j]:
                tp[k] = 1; used[j] = True
            else:
                fp[k] = 1
        tp = np.cumsum(tp); fp = np.cumsum(fp)
        rec = tp / npos
        prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
        mrec = np.concatenate([[0], rec, [1]]); mpre = np.concatenate([[0], prec, [0]])
        for k in range(len(mpre) - 2, -1, -1):
            mpre[k] = max(mpre[k], mpre[k + 1])
        idx = np.where(mrec[1:] != mrec[:-1])[0]
        aps.append(float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1])))
    return aps


@torch.no_grad()
def evaluate(model, frames, batch=16, **decode_args):
    model.eval()
    dets_all, gts = [], []
    for k in range(0, len(frames), batch):
        chunk = frames[k:k + batch]
        x = torch.stack([to_input(resize_for_net(f[1])) for f in chunk])
        y = model(x)
        for f, o in zip(chunk, y):
            h, w = f[1].shape[:2]
            dets_all.append(decode(o, w, h, **decode_args))
            gts.append((f[2], f[3]))
    aps = voc_ap(dets_all, gts)
    valid = [a for a in aps if a == a]
    return aps, (sum(valid) / len(valid) if valid else 0.0)
