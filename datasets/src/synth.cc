// The synthetic CCTV data set. See docs/synth.md for what is drawn and why.
#include "maskbench/datasets/synth.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <string>
#include <system_error>

#include "maskbench/core/files.h"
#include "synth_internal.h"

namespace maskbench::datasets {
namespace internal {

namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

uint64_t MixSeed(uint64_t seed, uint64_t stream, uint64_t index) {
  return SplitMix64(SplitMix64(SplitMix64(seed) ^ (stream * 0xD1B54A32D192ED03ull)) ^ index);
}

namespace {

using cv::Point2d;
using cv::Scalar;

// Random streams: each kind of choice draws from its own seeded generator so
// that, e.g., still 7 is the same whatever the number of frames asked for.
enum Stream : uint64_t {
  kCameraStream = 1,
  kStillStream = 2,
  kNoiseStream = 3,
  kVideoStream = 4,
  kVideoNoiseStream = 5,
};

// Face box height (forehead to chin) as a fraction of body height.
constexpr double kFaceOfHeight = 0.115;
// Drawing coordinates carry 4 fractional bits (cv:: drawing `shift`).
constexpr int kShift = 4;
constexpr double kPi = 3.14159265358979323846;

int Fix(double v) { return static_cast<int>(std::lround(v * (1 << kShift))); }

double Clamp(double v, double lo, double hi) { return std::min(hi, std::max(lo, v)); }

Scalar Mul(const Scalar& c, double k) {
  return Scalar(Clamp(c[0] * k, 0, 255), Clamp(c[1] * k, 0, 255), Clamp(c[2] * k, 0, 255));
}

Scalar Mix(const Scalar& a, const Scalar& b, double t) {
  return Scalar(a[0] * (1 - t) + b[0] * t, a[1] * (1 - t) + b[1] * t, a[2] * (1 - t) + b[2] * t);
}

Scalar Jitter(SynthRng& r, const Scalar& c, double amount) {
  return Scalar(Clamp(c[0] + r.Uniform(-amount, amount), 0, 255),
                Clamp(c[1] + r.Uniform(-amount, amount), 0, 255),
                Clamp(c[2] + r.Uniform(-amount, amount), 0, 255));
}

// HSV (h in degrees, s and v in [0, 1]) to a BGR colour.
Scalar Hsv(double h, double s, double v) {
  h = std::fmod(h, 360.0);
  double c = v * s;
  double hp = h / 60.0;
  double x = c * (1 - std::fabs(std::fmod(hp, 2.0) - 1));
  double r = 0, g = 0, b = 0;
  if (hp < 1)
    r = c, g = x;
  else if (hp < 2)
    r = x, g = c;
  else if (hp < 3)
    g = c, b = x;
  else if (hp < 4)
    g = x, b = c;
  else if (hp < 5)
    r = x, b = c;
  else
    r = c, b = x;
  double m = v - c;
  return Scalar((b + m) * 255, (g + m) * 255, (r + m) * 255);
}

// Draws in frame coordinates onto a canvas that covers the frame rectangle
// starting at (ox, oy), `scale` canvas pixels per frame pixel. With an alpha
// canvas, every shape is also drawn opaque into it, so the colour canvas
// (starting black) holds premultiplied colour.
class Painter {
 public:
  Painter(cv::Mat* bgr, cv::Mat* alpha, double ox, double oy, double scale)
      : bgr_(bgr), alpha_(alpha), ox_(ox), oy_(oy), s_(scale) {}

  cv::Point P(Point2d p) const { return {Fix((p.x - ox_) * s_), Fix((p.y - oy_) * s_)}; }
  // A line thickness in canvas pixels for `px` frame pixels.
  int T(double px) const { return std::max(1, static_cast<int>(std::lround(px * s_))); }

  void Ellipse(Point2d c, double ax, double ay, double angle_deg, const Scalar& col, double a0 = 0,
               double a1 = 360) {
    cv::Size axes(std::max(1, Fix(ax * s_)), std::max(1, Fix(ay * s_)));
    cv::ellipse(*bgr_, P(c), axes, angle_deg, a0, a1, col, cv::FILLED, cv::LINE_AA, kShift);
    if (alpha_)
      cv::ellipse(*alpha_, P(c), axes, angle_deg, a0, a1, Scalar(255), cv::FILLED, cv::LINE_AA,
                  kShift);
  }
  void EllipseOutline(Point2d c, double ax, double ay, double angle_deg, const Scalar& col,
                      double thickness_px) {
    cv::Size axes(std::max(1, Fix(ax * s_)), std::max(1, Fix(ay * s_)));
    cv::ellipse(*bgr_, P(c), axes, angle_deg, 0, 360, col, T(thickness_px), cv::LINE_AA, kShift);
    if (alpha_)
      cv::ellipse(*alpha_, P(c), axes, angle_deg, 0, 360, Scalar(255), T(thickness_px), cv::LINE_AA,
                  kShift);
  }
  void Poly(const std::vector<Point2d>& pts, const Scalar& col) {
    std::vector<cv::Point> q;
    q.reserve(pts.size());
    for (const auto& p : pts) q.push_back(P(p));
    std::vector<std::vector<cv::Point>> polys{q};
    cv::fillPoly(*bgr_, polys, col, cv::LINE_AA, kShift);
    if (alpha_) cv::fillPoly(*alpha_, polys, Scalar(255), cv::LINE_AA, kShift);
  }
  void Line(Point2d a, Point2d b, double thickness_px, const Scalar& col) {
    cv::line(*bgr_, P(a), P(b), col, T(thickness_px), cv::LINE_AA, kShift);
    if (alpha_) cv::line(*alpha_, P(a), P(b), Scalar(255), T(thickness_px), cv::LINE_AA, kShift);
  }

 private:
  cv::Mat* bgr_;
  cv::Mat* alpha_;
  double ox_, oy_, s_;
};

// ---------------------------------------------------------------------------
// People

enum Style { kWithMask = 0, kWithoutMask = 1, kIncorrect = 2 };
enum HairStyle { kShortHair, kLongHair, kBald, kCap, kScarf };
enum MaskType { kSurgical, kCloth, kRespirator };

struct Look {
  Scalar skin, hair, shirt, pants, shoes, lips, iris, cap, mask, pattern, bag;
  HairStyle hair_style = kShortHair;
  MaskType mask_type = kSurgical;
  bool dots = false, glasses = false, beard = false, has_bag = false;
  double aspect = 0.8;     // face box width / height
  double build = 1.0;      // shoulder width factor
  double height_m = 1.72;  // body height
  double fringe = 0.3;     // how far the hair reaches down the forehead
  double brow = 0;         // eyebrow slant (face units)
  double mask_top = 0;     // top edge of the mask in face units (v, -1 forehead .. 1 chin)
};

Look RandomLook(SynthRng& r, int style) {
  Look L;
  static const Scalar kSkins[] = {{200, 215, 245}, {172, 196, 236}, {145, 178, 224},
                                  {118, 158, 206}, {96, 132, 182},  {72, 104, 150},
                                  {52, 78, 118},   {40, 56, 86}};
  L.skin = Jitter(r, kSkins[r.Int(0, 7)], 9);
  static const Scalar kHair[] = {{22, 22, 28},    {30, 45, 68},  {45, 74, 110},  {105, 165, 205},
                                 {150, 150, 152}, {40, 62, 140}, {205, 205, 208}};
  L.hair = Jitter(r, kHair[r.Pick({30, 25, 15, 8, 8, 5, 3})], 8);
  L.shirt = Hsv(r.Uniform(0, 360), r.Uniform(0.05, 0.85), r.Uniform(0.15, 0.95));
  L.pants = Hsv(r.Uniform(180, 260), r.Uniform(0.0, 0.6), r.Uniform(0.1, 0.5));
  L.shoes = Jitter(r, Scalar(30, 30, 35), 15);
  L.lips = Mix(L.skin, Scalar(70, 60, 170), r.Uniform(0.35, 0.55));
  L.iris = Jitter(r, r.Chance(0.8) ? Scalar(25, 35, 55) : Scalar(110, 90, 60), 10);
  L.cap = Hsv(r.Uniform(0, 360), r.Uniform(0.2, 0.9), r.Uniform(0.15, 0.85));
  L.bag = Hsv(r.Uniform(0, 360), r.Uniform(0.1, 0.7), r.Uniform(0.1, 0.6));
  L.hair_style = static_cast<HairStyle>(r.Pick({48, 26, 8, 12, 6}));
  L.aspect = r.Uniform(0.74, 0.88);
  L.build = r.Uniform(0.85, 1.15);
  L.height_m = Clamp(r.Normal(1.70, 0.09), 1.45, 1.98);
  L.fringe = r.Uniform(0.2, 0.42);
  L.brow = r.Uniform(-0.05, 0.03);
  L.glasses = r.Chance(0.14);
  L.has_bag = r.Chance(0.25);
  L.beard = style == kWithoutMask && r.Chance(0.12);
  // Mask colours: light blue surgical, white, black, then a few others.
  static const Scalar kMasks[] = {{226, 200, 150}, {238, 238, 235}, {38, 38, 42},   {150, 150, 152},
                                  {200, 182, 240}, {110, 62, 40},   {182, 204, 160}};
  L.mask = Jitter(r, kMasks[r.Pick({33, 24, 18, 7, 6, 8, 4})], 7);
  L.mask_type = static_cast<MaskType>(r.Pick({55, 33, 12}));
  if (L.mask_type == kRespirator) L.mask = Jitter(r, Scalar(228, 234, 236), 6);
  L.dots = L.mask_type == kCloth && r.Chance(0.25);
  L.pattern = Hsv(r.Uniform(0, 360), r.Uniform(0.3, 0.9), r.Uniform(0.3, 1.0));
  L.mask_top = style == kWithMask ? r.Uniform(-0.14, 0.0) : r.Uniform(0.34, 0.44);
  return L;
}

// Where and how one person is drawn in a frame.
struct Pose {
  double foot_x = 0, foot_y = 0;  // frame pixels
  double face_h = 20;             // face box height in pixels
  double yaw = 0, roll_deg = 0, pitch = 0;
  double swing = 0;  // arm/leg swing, -1 .. 1
  double bob = 0;    // pixels the body is lifted (walking)
};

struct Person {
  Look look;
  int style = kWithMask;
  bool back_view = false;  // seen from behind: no face, no annotation
  Pose pose;
  double depth = 0;  // metres from the camera; far people are drawn first
};

// Geometry of the face: centre, half axes and the mapping from face units.
// Face units: u across (-1 left edge .. 1 right edge), v down (-1 forehead .. 1 chin).
struct FaceFrame {
  Point2d c;
  double a = 0, b = 0;  // half width, half height (pixels)
  double cos_r = 1, sin_r = 0, roll_deg = 0;
  double yaw = 0, pitch = 0;

  // A point on the head outline (no pose warp).
  Point2d O(double u, double v) const { return Map(u * a, v * b); }
  // A point of a feature: shifted by yaw (towards the side the head turns) and pitch.
  Point2d F(double u, double v) const {
    double wu = std::max(0.0, 1 - u * u);
    double wv = std::max(0.0, 1 - v * v);
    return Map((u + yaw * 0.35 * wu) * a, (v + pitch * 0.25 * wv) * b);
  }
  Point2d Map(double lx, double ly) const {
    return {c.x + lx * cos_r - ly * sin_r, c.y + lx * sin_r + ly * cos_r};
  }
};

FaceFrame MakeFaceFrame(const Pose& p, const Look& L) {
  FaceFrame f;
  double ph = p.face_h / kFaceOfHeight;
  double crown = p.foot_y - ph - p.bob;
  f.b = p.face_h / 2;
  f.a = f.b * L.aspect;
  f.c = {p.foot_x, crown + 0.18 * p.face_h + f.b};
  f.roll_deg = p.roll_deg;
  f.cos_r = std::cos(p.roll_deg * kPi / 180);
  f.sin_r = std::sin(p.roll_deg * kPi / 180);
  f.yaw = p.yaw;
  f.pitch = p.pitch;
  return f;
}

// The face's axis-aligned box (the annotation before clipping).
cv::Rect2d FaceBox(const FaceFrame& f) {
  double ex = std::sqrt(f.a * f.a * f.cos_r * f.cos_r + f.b * f.b * f.sin_r * f.sin_r);
  double ey = std::sqrt(f.a * f.a * f.sin_r * f.sin_r + f.b * f.b * f.cos_r * f.cos_r);
  return {f.c.x - ex, f.c.y - ey, 2 * ex, 2 * ey};
}

// The frame rectangle a person's drawing can touch.
cv::Rect2d PersonExtent(const Pose& p, const Look& L) {
  double F = p.face_h;
  double half = (1.55 * L.build + 0.7) * F;
  double top = p.foot_y - F / kFaceOfHeight - p.bob - 0.45 * F;
  return {p.foot_x - half, top, 2 * half, p.foot_y + 0.3 * F - top};
}

void DrawMask(Painter& p, const FaceFrame& f, const Look& L, double F) {
  double top = L.mask_top;
  // The mask hugs the face outline (slightly wider) from its top edge down past the chin.
  double th0 = std::asin(Clamp((top + 0.06) / 1.06, -1, 1));
  std::vector<Point2d> pts;
  const int kArc = 18;
  for (int i = 0; i <= kArc; ++i) {
    double th = th0 + (kPi - 2 * th0) * i / kArc;
    pts.push_back(f.F(1.04 * std::cos(th), 1.06 * std::sin(th)));
  }
  double uw = 1.04 * std::cos(th0);
  const int kTop = 8;
  for (int i = 1; i < kTop; ++i) {
    double u = -uw + 2 * uw * i / kTop;
    double k = u / uw;
    pts.push_back(f.F(u, top + 0.06 - 0.1 * (1 - k * k)));
  }
  p.Poly(pts, L.mask);
  // Shade the part under the chin.
  double th1 = std::asin(0.62 / 1.06);
  std::vector<Point2d> shade;
  for (int i = 0; i <= 10; ++i) {
    double th = th1 + (kPi - 2 * th1) * i / 10;
    shade.push_back(f.F(1.04 * std::cos(th), 1.06 * std::sin(th)));
  }
  p.Poly(shade, Mul(L.mask, 0.86));
  double line = std::max(0.5, 0.025 * F);
  Scalar fold = L.mask[0] + L.mask[1] + L.mask[2] < 180 ? Mul(L.mask, 1.9) : Mul(L.mask, 0.8);
  if (L.mask_type == kSurgical) {
    for (int k = 1; k <= 3; ++k) {
      double v = top + 0.05 + k * (1.0 - top) / 4.5;
      double w = 0.82 * std::sqrt(std::max(0.0, 1 - v * v));
      p.Line(f.F(-w, v), f.F(w, v), line, fold);
    }
    p.Line(f.F(-0.35, top - 0.02), f.F(0.35, top - 0.02), line, Mul(L.mask, 0.9));  // nose wire
  } else if (L.mask_type == kCloth) {
    p.Line(f.F(0, top - 0.04), f.F(0, 1.04), line, fold);
  } else {
    p.Ellipse(f.F(0, (top + 1) / 2), 0.55 * f.a, 0.32 * (1 - top) * f.b, f.roll_deg,
              Mul(L.mask, 1.04));
    p.Line(f.F(0, top - 0.04), f.F(0, 1.04), line, Mul(L.mask, 0.85));
  }
  if (L.dots) {
    for (double v = top + 0.15; v < 0.95; v += 0.22)
      for (double u = -0.7; u <= 0.71; u += 0.28)
        if (u * u + v * v < 0.8) p.Ellipse(f.F(u, v), 0.05 * f.a, 0.04 * f.b, 0, L.pattern);
  }
  // Ear loops.
  Scalar loop = Mix(L.mask, Scalar(235, 235, 235), 0.4);
  for (int s : {-1, 1}) {
    p.Line(f.F(s * 0.97, top + 0.12), f.O(s * 1.02, -0.12), line, loop);
    p.Line(f.F(s * 0.8, 0.8), f.O(s * 1.02, 0.02), line, loop);
  }
}

void DrawFace(Painter& p, const FaceFrame& f, const Look& L, int style, double F) {
  Scalar skin_dark = Mul(L.skin, 0.82);
  // Eyes and brows.
  for (int s : {-1, 1}) {
    p.Line(f.F(s * 0.14, -0.53 + L.brow), f.F(s * 0.62, -0.53 - L.brow), std::max(0.6, 0.055 * F),
           Mul(L.hair, 0.8));
    p.Ellipse(f.F(s * 0.36, -0.3), 0.18 * f.a, 0.085 * f.b, f.roll_deg, Scalar(235, 240, 242));
    p.Ellipse(f.F(s * 0.36 + f.yaw * 0.06, -0.3), 0.08 * f.b, 0.08 * f.b, 0, L.iris);
    p.Ellipse(f.F(s * 0.36, -0.37), 0.2 * f.a, 0.04 * f.b, f.roll_deg, skin_dark, 180, 360);
  }
  // Nose: bridge, tip and dark nostrils (what tells a mask below the nose from a worn one).
  double nose_shift = f.yaw * 0.12;
  p.Line(f.F(nose_shift * 0.5, -0.18), f.F(nose_shift + 0.03, 0.12), std::max(0.6, 0.06 * F),
         Mul(L.skin, 0.86));
  p.Ellipse(f.F(nose_shift, 0.16), 0.2 * f.a, 0.1 * f.b, f.roll_deg, Mul(L.skin, 0.9));
  for (int s : {-1, 1})
    p.Ellipse(f.F(nose_shift + s * 0.1, 0.22), 0.065 * f.a, 0.04 * f.b, f.roll_deg,
              Mul(L.skin, 0.42));
  if (L.beard) {
    std::vector<Point2d> beard;
    double th0 = std::asin(0.25);
    for (int i = 0; i <= 14; ++i) {
      double th = th0 + (kPi - 2 * th0) * i / 14;
      beard.push_back(f.O(1.0 * std::cos(th), 1.03 * std::sin(th)));
    }
    p.Poly(beard, L.hair);
    p.Line(f.F(-0.35, 0.4), f.F(0.35, 0.4), std::max(0.6, 0.07 * F), L.hair);  // moustache
  }
  // Mouth: lips and the dark line between them.
  p.Ellipse(f.F(0, 0.56), 0.34 * f.a, 0.1 * f.b, f.roll_deg, L.lips);
  p.Line(f.F(-0.3, 0.56), f.F(0.3, 0.56), std::max(0.5, 0.03 * F), Mul(L.skin, 0.3));
  if (L.glasses) {
    Scalar frame = Scalar(30, 30, 30);
    for (int s : {-1, 1})
      p.EllipseOutline(f.F(s * 0.38, -0.28), 0.26 * f.a, 0.17 * f.b, f.roll_deg, frame,
                       std::max(0.5, 0.03 * F));
    p.Line(f.F(-0.12, -0.3), f.F(0.12, -0.3), std::max(0.5, 0.03 * F), frame);
  }
  if (style == kWithMask || style == kIncorrect) DrawMask(p, f, L, F);
}

void DrawPerson(Painter& p, const Person& person) {
  const Look& L = person.look;
  const Pose& ps = person.pose;
  const double F = ps.face_h;
  FaceFrame f = MakeFaceFrame(ps, L);
  const double x = ps.foot_x;
  const double chin = f.c.y + f.b;
  const double sy = chin + 0.3 * F;  // shoulder line
  const double hip = sy + 2.7 * F;
  const double sw = 2.3 * F * L.build, hw = 1.75 * F * L.build;
  const double foot = ps.foot_y - ps.bob;
  // Legs and shoes.
  double stride = ps.swing * 0.35 * F;
  for (int s : {-1, 1}) {
    double fx = x + s * 0.42 * F + s * stride;
    p.Poly({{x + s * 0.05 * F, hip - 0.1 * F},
            {x + s * 0.85 * F, hip - 0.1 * F},
            {fx + s * 0.28 * F, foot - 0.1 * F},
            {fx - s * 0.28 * F, foot - 0.1 * F}},
           L.pants);
    p.Ellipse({fx + s * 0.05 * F, foot - 0.08 * F}, 0.34 * F, 0.14 * F, 0, L.shoes);
  }
  // Torso with rounded shoulders.
  Scalar shirt_dark = Mul(L.shirt, 0.8);
  p.Poly({{x - sw / 2, sy + 0.3 * F},
          {x - sw / 2 + 0.25 * F, sy},
          {x + sw / 2 - 0.25 * F, sy},
          {x + sw / 2, sy + 0.3 * F},
          {x + hw / 2, hip + 0.1 * F},
          {x - hw / 2, hip + 0.1 * F}},
         L.shirt);
  for (int s : {-1, 1}) {
    p.Ellipse({x + s * (sw / 2 - 0.25 * F), sy + 0.28 * F}, 0.3 * F, 0.3 * F, 0, L.shirt);
    // Arms and hands.
    double hx = x + s * (sw / 2 + 0.12 * F) + s * ps.swing * 0.1 * F;
    double hy = hip + 0.25 * F;
    p.Line({x + s * (sw / 2 - 0.15 * F), sy + 0.3 * F}, {hx, hy - 0.15 * F}, 0.42 * F, shirt_dark);
    p.Ellipse({hx, hy}, 0.16 * F, 0.2 * F, 0, Mul(L.skin, 0.92));
  }
  if (L.has_bag) {
    p.Line({x - sw / 2 + 0.3 * F, sy + 0.05 * F}, {x + hw / 2, hip - 0.2 * F}, 0.1 * F,
           Mul(L.bag, 0.7));
    p.Poly({{x + hw / 2 - 0.2 * F, hip - 0.6 * F},
            {x + hw / 2 + 0.6 * F, hip - 0.6 * F},
            {x + hw / 2 + 0.6 * F, hip + 0.3 * F},
            {x + hw / 2 - 0.2 * F, hip + 0.3 * F}},
           L.bag);
  }
  // Neck and collar.
  p.Poly({{x - 0.22 * F, f.c.y + 0.3 * f.b},
          {x + 0.22 * F, f.c.y + 0.3 * f.b},
          {x + 0.25 * F, sy + 0.12 * F},
          {x - 0.25 * F, sy + 0.12 * F}},
         Mul(L.skin, 0.85));
  p.Ellipse({x, sy + 0.02 * F}, 0.32 * F, 0.14 * F, 0, shirt_dark, 0, 180);

  if (person.back_view) {
    for (int s : {-1, 1}) p.Ellipse(f.O(s * 1.0, 0.0), 0.12 * F, 0.2 * F, f.roll_deg, L.skin);
    Scalar top = L.hair_style == kCap ? L.cap : L.hair_style == kBald ? Mul(L.skin, 0.9) : L.hair;
    if (L.hair_style == kLongHair) {
      p.Poly({f.O(-1.15, 0), f.O(1.15, 0), f.O(1.25, 2.1), f.O(-1.25, 2.1)}, L.hair);
    }
    p.Ellipse(f.O(0, -0.12), 1.07 * f.a, 1.1 * f.b, f.roll_deg, top);
    if (L.hair_style == kCap)
      p.Ellipse(f.O(0, 0.3), 1.05 * f.a, 0.75 * f.b, f.roll_deg, L.hair, 0, 180);
    return;
  }

  // Hair or scarf behind the head.
  if (L.hair_style == kLongHair) {
    p.Ellipse(f.O(0, -0.1), 1.18 * f.a, 1.1 * f.b, f.roll_deg, L.hair);
    p.Poly({f.O(-1.18, -0.1), f.O(1.18, -0.1), f.O(1.3, 2.2), f.O(-1.3, 2.2)}, L.hair);
  } else if (L.hair_style == kScarf) {
    p.Ellipse(f.O(0, 0.02), 1.32 * f.a, 1.26 * f.b, f.roll_deg, L.cap);
    p.Poly({f.O(-1.3, 0.2), f.O(1.3, 0.2), f.O(1.9, 2.3), f.O(-1.9, 2.3)}, L.cap);
  }
  if (L.hair_style != kScarf) {
    for (int s : {-1, 1}) {
      double ear = s * f.yaw > 0 ? 0.07 : 0.1;  // the far ear looks smaller
      p.Ellipse(f.O(s * 0.98, -0.02), ear * F, 0.17 * F, f.roll_deg, Mul(L.skin, 0.88));
    }
  }
  // Skull: hair, bald skin or a cap.
  if (L.hair_style == kShortHair || L.hair_style == kLongHair)
    p.Ellipse(f.O(0, -0.28), 1.07 * f.a, 0.95 * f.b, f.roll_deg, L.hair);
  else if (L.hair_style == kBald)
    p.Ellipse(f.O(0, -0.22), 1.02 * f.a, 0.95 * f.b, f.roll_deg, Mul(L.skin, 0.93));
  else if (L.hair_style == kCap)
    p.Ellipse(f.O(0, -0.3), 1.08 * f.a, 0.92 * f.b, f.roll_deg, L.cap);
  // The face itself: its bounding box is the annotation.
  p.Ellipse(f.c, f.a, f.b, f.roll_deg, L.skin);
  // Hairline, cap band or scarf edge over the forehead.
  if (L.hair_style == kShortHair || L.hair_style == kLongHair) {
    p.Ellipse(f.O(0, -1.0 + L.fringe), 0.93 * f.a, L.fringe * f.b, f.roll_deg, L.hair, 180, 360);
  } else if (L.hair_style == kCap) {
    p.Ellipse(f.O(0, -0.72), 1.05 * f.a, 0.36 * f.b, f.roll_deg, L.cap, 180, 360);
    p.Ellipse(f.F(0, -0.72), 1.0 * f.a, 0.13 * f.b, f.roll_deg, Mul(L.cap, 0.7));
  } else if (L.hair_style == kScarf) {
    p.Ellipse(f.O(0, -0.78), 1.0 * f.a, 0.3 * f.b, f.roll_deg, L.cap, 180, 360);
  }
  DrawFace(p, f, L, person.style, F);
}

// ---------------------------------------------------------------------------
// Cameras: the static scene

struct Camera {
  int w = 640, h = 480;
  double f = 600;                      // focal length, pixels
  double cam_h = 3;                    // camera height above the floor, metres
  double horizon = 100;                // image row of the horizon (the vanishing point's row)
  double vp_x = 320;                   // image column of the vanishing point
  double x_left = -4, x_right = 4;     // the walkable floor, metres across
  double z_back = 20;                  // the back wall / far end, metres deep
  double face_min = 8, face_max = 40;  // face heights whose head fits in the frame
  bool outdoor = false, night = false;
  int number = 1;
  Scalar white_balance{1, 1, 1};
  double blur = 0;  // the camera's own softness (Gaussian sigma)
  cv::Mat background;
  cv::Mat fg_bgr, fg_alpha;  // occluders close to the camera (premultiplied), if any
  bool has_fg = false;

  Point2d Project(double x, double height, double z) const {
    return {vp_x + f * x / z, horizon + f * (cam_h - height) / z};
  }
  // Depth at which a person of height `hp` has a face `face_h` pixels high.
  double DepthForFace(double face_h, double hp) const { return kFaceOfHeight * f * hp / face_h; }
  // The row of the face centre of a person of height `hp` at depth `z`.
  double FaceCentreY(double z, double hp) const {
    double F = kFaceOfHeight * f * hp / z;
    return horizon + f * (cam_h - hp) / z + 0.68 * F;
  }
};

// A box standing on the floor, seen from the camera (faces towards it drawn).
void DrawBox3d(Painter& p, const Camera& c, double x0, double x1, double z0, double z1,
               double height, const Scalar& col) {
  auto P = [&](double x, double y, double z) { return c.Project(x, y, z); };
  if (x1 < 0)
    p.Poly({P(x1, 0, z0), P(x1, 0, z1), P(x1, height, z1), P(x1, height, z0)}, Mul(col, 0.78));
  if (x0 > 0)
    p.Poly({P(x0, 0, z0), P(x0, 0, z1), P(x0, height, z1), P(x0, height, z0)}, Mul(col, 0.78));
  if (height < c.cam_h)
    p.Poly({P(x0, height, z0), P(x1, height, z0), P(x1, height, z1), P(x0, height, z1)},
           Mul(col, 1.12));
  p.Poly({P(x0, 0, z0), P(x1, 0, z0), P(x1, height, z0), P(x0, height, z0)}, col);
}

// A flat rectangle on a side wall (x fixed) between depths z0..z1 and heights y0..y1.
void DrawWallRect(Painter& p, const Camera& c, double x, double z0, double z1, double y0, double y1,
                  const Scalar& col) {
  p.Poly({c.Project(x, y0, z0), c.Project(x, y0, z1), c.Project(x, y1, z1), c.Project(x, y1, z0)},
         col);
}

void AddTexture(cv::Mat& img, SynthRng& r, double amplitude, double grain) {
  cv::Mat small(9, 12, CV_8UC1);
  for (int y = 0; y < small.rows; ++y)
    for (int x = 0; x < small.cols; ++x)
      small.at<uint8_t>(y, x) = static_cast<uint8_t>(r.Int(0, 255));
  cv::Mat big;
  cv::resize(small, big, img.size(), 0, 0, cv::INTER_CUBIC);
  int amp = static_cast<int>(amplitude * 256);
  int gr = static_cast<int>(grain);
  for (int y = 0; y < img.rows; ++y) {
    auto* row = img.ptr<uint8_t>(y);
    const auto* t = big.ptr<uint8_t>(y);
    for (int x = 0; x < img.cols; ++x) {
      int d = ((t[x] - 128) * amp) >> 15;
      if (gr > 0) d += static_cast<int>(r.Bits() % (2 * gr + 1)) - gr;
      for (int k = 0; k < 3; ++k) row[3 * x + k] = cv::saturate_cast<uint8_t>(row[3 * x + k] + d);
    }
  }
}

void DrawIndoor(Camera& c, SynthRng& r) {
  cv::Mat& bg = c.background;
  Painter p(&bg, nullptr, 0, 0, 1);
  double zn = 0.25, zb = c.z_back;
  double xl = c.x_left - 0.3, xr = c.x_right + 0.3;
  double ceil_h = c.cam_h + r.Uniform(0.3, 2.2);
  auto P = [&](double x, double y, double z) { return c.Project(x, y, z); };
  Scalar ceiling = Jitter(r, Scalar(215, 218, 220), 20);
  Scalar wall = Hsv(r.Uniform(0, 360), r.Uniform(0.03, 0.3), r.Uniform(0.55, 0.9));
  Scalar wall_r = Mul(wall, r.Uniform(0.82, 0.97));
  Scalar back = Hsv(r.Uniform(0, 360), r.Uniform(0.03, 0.35), r.Uniform(0.45, 0.85));
  Scalar floor = Hsv(r.Uniform(15, 45), r.Uniform(0.0, 0.35), r.Uniform(0.3, 0.7));
  bg.setTo(ceiling);
  p.Poly({P(xl, 0, zn), P(xl, 0, zb), P(xl, ceil_h, zb), P(xl, ceil_h, zn)}, wall);
  p.Poly({P(xr, 0, zn), P(xr, 0, zb), P(xr, ceil_h, zb), P(xr, ceil_h, zn)}, wall_r);
  p.Poly({P(xl, 0, zn), P(xr, 0, zn), P(xr, 0, zb), P(xl, 0, zb)}, floor);
  p.Poly({P(xl, 0, zb), P(xr, 0, zb), P(xr, ceil_h, zb), P(xl, ceil_h, zb)}, back);
  // Floor tiles: lines towards the vanishing point and across at growing depths.
  double tile = r.Uniform(0.5, 1.2);
  Scalar grout = Mul(floor, r.Chance(0.5) ? 0.8 : 1.15);
  if (r.Chance(0.75)) {
    for (double x = xl; x <= xr; x += tile) p.Line(P(x, 0, zn), P(x, 0, zb), 1, grout);
    for (double z = 1.0; z < zb; z += tile) p.Line(P(xl, 0, z), P(xr, 0, z), 1, grout);
  }
  // Skirting and ceiling edges.
  for (double x : {xl, xr}) {
    p.Line(P(x, 0, zn), P(x, 0, zb), 2, Mul(wall, 0.6));
    p.Line(P(x, ceil_h, zn), P(x, ceil_h, zb), 1, Mul(wall, 0.8));
  }
  // Ceiling lights.
  for (double z = 2.0; z < zb; z += r.Uniform(2.5, 4.0)) {
    double lx = r.Uniform(-0.5, 0.5);
    p.Poly({P(lx - 0.3, ceil_h, z), P(lx + 0.3, ceil_h, z), P(lx + 0.3, ceil_h, z + 1.2),
            P(lx - 0.3, ceil_h, z + 1.2)},
           Scalar(240, 248, 250));
  }
  // Doors, posters and windows on the side walls.
  for (double x : {xl, xr}) {
    for (double z = r.Uniform(1.5, 4); z < zb - 1.5; z += r.Uniform(2.5, 6)) {
      int kind = r.Int(0, 2);
      if (kind == 0) {
        Scalar door = Hsv(r.Uniform(15, 40), r.Uniform(0.2, 0.6), r.Uniform(0.25, 0.65));
        DrawWallRect(p, c, x, z, z + 1.0, 0, 2.1, Mul(door, 0.7));
        DrawWallRect(p, c, x, z + 0.06, z + 0.94, 0, 2.04, door);
      } else if (kind == 1) {
        Scalar poster = Hsv(r.Uniform(0, 360), r.Uniform(0.3, 0.9), r.Uniform(0.4, 0.95));
        double y0 = r.Uniform(1.0, 1.5);
        DrawWallRect(p, c, x, z, z + r.Uniform(0.5, 1.2), y0, y0 + r.Uniform(0.5, 1.0), poster);
      } else {
        DrawWallRect(p, c, x, z, z + r.Uniform(1.0, 2.5), 1.0, std::min(ceil_h - 0.2, 2.4),
                     Jitter(r, Scalar(200, 185, 160), 25));
      }
    }
  }
  // Something on the back wall: a door, a sign or a window band.
  double bx = r.Uniform(xl + 0.5, xr - 2.0);
  Scalar thing = Hsv(r.Uniform(0, 360), r.Uniform(0.1, 0.8), r.Uniform(0.3, 0.95));
  double by = r.Chance(0.5) ? 0.0 : 1.0;
  p.Poly({P(bx, by, zb), P(bx + 1.6, by, zb), P(bx + 1.6, 2.2, zb), P(bx, 2.2, zb)}, thing);
  // Benches, bins, counters and pillars along the walls, far ones first.
  int n = r.Int(1, 5);
  std::vector<std::array<double, 6>> boxes;
  for (int i = 0; i < n; ++i) {
    bool left = r.Chance(0.5);
    double wx = r.Uniform(0.4, 1.0), dz = r.Uniform(0.4, 2.0);
    double x0 = left ? xl + 0.05 : xr - 0.05 - wx;
    double z0 = r.Uniform(2.0, std::max(2.5, zb - 2.5));
    double hgt = r.Pick({3, 2, 1}) == 0 ? r.Uniform(0.4, 0.5) : r.Uniform(0.8, 1.1);
    if (r.Chance(0.15)) hgt = ceil_h;  // a pillar
    boxes.push_back({x0, x0 + wx, z0, z0 + dz, hgt, r.Uniform(0, 360)});
  }
  std::sort(boxes.begin(), boxes.end(), [](const auto& a, const auto& b) { return a[2] > b[2]; });
  for (const auto& b : boxes)
    DrawBox3d(p, c, b[0], b[1], b[2], b[3], b[4],
              Hsv(b[5], r.Uniform(0.05, 0.6), r.Uniform(0.25, 0.8)));
}

void DrawOutdoor(Camera& c, SynthRng& r) {
  cv::Mat& bg = c.background;
  Painter p(&bg, nullptr, 0, 0, 1);
  auto P = [&](double x, double y, double z) { return c.Project(x, y, z); };
  // Sky: a vertical gradient.
  Scalar sky_top = Jitter(r, Scalar(210, 160, 110), 25),
         sky_low = Jitter(r, Scalar(235, 220, 205), 15);
  if (r.Chance(0.3)) sky_top = sky_low = Jitter(r, Scalar(190, 190, 185), 20);  // overcast
  for (int y = 0; y < bg.rows; ++y) {
    double t = Clamp(y / std::max(1.0, c.horizon), 0, 1);
    bg.row(y).setTo(Mix(sky_top, sky_low, t));
  }
  double zn = 0.25, far = c.z_back * 2.5;
  double xl = c.x_left - r.Uniform(0.5, 3.0), xr = c.x_right + r.Uniform(0.5, 3.0);
  // Distant buildings at the far end.
  for (double x = xl - 20; x < xr + 20; x += r.Uniform(4, 12)) {
    double hgt = r.Uniform(8, 40), wd = r.Uniform(5, 14);
    Scalar col = Hsv(r.Uniform(0, 60), r.Uniform(0.0, 0.25), r.Uniform(0.45, 0.8));
    p.Poly({P(x, 0, far), P(x + wd, 0, far), P(x + wd, hgt, far), P(x, hgt, far)}, col);
  }
  Scalar ground = Jitter(r, Scalar(105, 108, 110), 20);
  Scalar walk = Hsv(r.Uniform(15, 40), r.Uniform(0.0, 0.25), r.Uniform(0.5, 0.75));
  p.Poly({P(xl - 50, 0, zn), P(xr + 50, 0, zn), P(xr + 50, 0, far), P(xl - 50, 0, far)}, ground);
  // Pavement along both sides, with paving lines; the road between with dashes.
  double side = r.Uniform(2.0, 4.0);
  p.Poly({P(xl, 0, zn), P(xl + side, 0, zn), P(xl + side, 0, far), P(xl, 0, far)}, walk);
  p.Poly({P(xr - side, 0, zn), P(xr, 0, zn), P(xr, 0, far), P(xr - side, 0, far)}, walk);
  for (double z = 1.0; z < far; z += r.Uniform(0.8, 1.2)) {
    p.Line(P(xl, 0, z), P(xl + side, 0, z), 1, Mul(walk, 0.85));
    p.Line(P(xr - side, 0, z), P(xr, 0, z), 1, Mul(walk, 0.85));
  }
  double mid = (xl + xr) / 2;
  for (double z = 1.0; z < far; z += 6)
    p.Poly({P(mid - 0.08, 0, z), P(mid + 0.08, 0, z), P(mid + 0.08, 0, z + 3),
            P(mid - 0.08, 0, z + 3)},
           Scalar(220, 225, 230));
  // Building fronts along both sides: storeys of windows, shop fronts at street level.
  for (double x : {xl, xr}) {
    for (double z = zn; z < far;) {
      double len = r.Uniform(6, 15), hgt = r.Uniform(7, 22);
      Scalar col = Hsv(r.Uniform(0, 50), r.Uniform(0.05, 0.45), r.Uniform(0.35, 0.85));
      DrawWallRect(p, c, x, z, z + len, 0, hgt, col);
      DrawWallRect(p, c, x, z + 0.5, z + len - 0.5, 0.2, 2.6, Jitter(r, Scalar(120, 100, 80), 30));
      Scalar glass = Jitter(r, Scalar(150, 120, 90), 30);
      for (double y = 3.5; y + 1.5 < hgt; y += 3.0)
        for (double wz = z + 0.8; wz + 1.2 < z + len; wz += 2.2)
          DrawWallRect(p, c, x, wz, wz + 1.2, y, y + 1.5, glass);
      z += len + r.Uniform(0, 1.5);
    }
  }
  // Lamp posts and trees along the pavement, far first.
  std::vector<std::pair<double, double>> items;  // (z, x)
  for (double z = r.Uniform(3, 8); z < far; z += r.Uniform(7, 12)) {
    items.push_back({z, xl + side - 0.4});
    items.push_back({z + r.Uniform(-2, 2), xr - side + 0.4});
  }
  std::sort(items.begin(), items.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [z, x] : items) {
    double k = c.f / z;
    if (r.Chance(0.5)) {
      p.Line(P(x, 0, z), P(x, 4.5, z), std::max(1.0, 0.12 * k), Scalar(60, 62, 65));
      p.Ellipse(P(x, 4.6, z), std::max(1.0, 0.35 * k), std::max(1.0, 0.12 * k), 0,
                Scalar(200, 230, 240));
    } else {
      p.Line(P(x, 0, z), P(x, 2.5, z), std::max(1.0, 0.2 * k), Scalar(40, 60, 80));
      Scalar leaf = Hsv(r.Uniform(80, 140), r.Uniform(0.4, 0.8), r.Uniform(0.25, 0.55));
      for (int i = 0; i < 3; ++i)
        p.Ellipse(P(x + r.Uniform(-0.5, 0.5), r.Uniform(3.2, 4.2), z), 1.2 * k, 1.0 * k, 0,
                  Mul(leaf, r.Uniform(0.85, 1.15)));
    }
  }
  // Benches and bins.
  int n = r.Int(0, 3);
  for (int i = 0; i < n; ++i) {
    double z0 = c.z_back - r.Uniform(0, c.z_back * 0.7);
    double x0 = r.Chance(0.5) ? xl + 0.2 : xr - 1.6;
    DrawBox3d(p, c, x0, x0 + r.Uniform(0.5, 1.4), z0, z0 + 0.5, r.Uniform(0.45, 0.9),
              Hsv(r.Uniform(0, 360), r.Uniform(0.1, 0.6), r.Uniform(0.2, 0.6)));
  }
}

void DrawForeground(Camera& c, SynthRng& r) {
  c.fg_bgr = cv::Mat(c.h, c.w, CV_8UC3, Scalar::all(0));
  c.fg_alpha = cv::Mat(c.h, c.w, CV_8UC1, Scalar(0));
  Painter p(&c.fg_bgr, &c.fg_alpha, 0, 0, 1);
  if (r.Chance(0.2)) {  // a pillar close to the camera, shaded like a cylinder
    double x0 = r.Uniform(0, c.w - 30), wd = r.Uniform(22, 70);
    Scalar col = Jitter(r, Scalar(170, 172, 175), 30);
    for (int i = 0; i < 12; ++i) {
      double t = (i + 0.5) / 12;
      double shade = 0.6 + 0.5 * std::sin(t * kPi);
      p.Poly({{x0 + wd * i / 12, -2},
              {x0 + wd * (i + 1) / 12 + 0.5, -2},
              {x0 + wd * (i + 1) / 12 + 0.5, c.h + 2.0},
              {x0 + wd * i / 12, c.h + 2.0}},
             Mul(col, shade));
    }
    c.has_fg = true;
  }
  if (r.Chance(0.12)) {  // a railing across the bottom of the view
    double y0 = r.Uniform(0.62, 0.9) * c.h;
    Scalar col = Jitter(r, Scalar(90, 95, 100), 40);
    p.Line({-5, y0}, {c.w + 5.0, y0 + r.Uniform(-20, 20)}, r.Uniform(5, 10), col);
    double step = r.Uniform(50, 90);
    for (double x = r.Uniform(0, step); x < c.w; x += step)
      p.Line({x, y0}, {x, c.h + 5.0}, r.Uniform(3, 6), Mul(col, 0.85));
    c.has_fg = true;
  }
  if (r.Chance(0.12)) {  // a plant in a bottom corner
    double cx = r.Chance(0.5) ? r.Uniform(-20, 60) : c.w - r.Uniform(-20, 60);
    Scalar leaf = Hsv(r.Uniform(80, 140), r.Uniform(0.4, 0.85), r.Uniform(0.2, 0.55));
    for (int i = 0; i < 9; ++i)
      p.Ellipse({cx + r.Uniform(-60, 60), c.h - r.Uniform(10, 150)}, r.Uniform(12, 40),
                r.Uniform(6, 16), r.Uniform(0, 180), Mul(leaf, r.Uniform(0.8, 1.25)));
    c.has_fg = true;
  }
}

// The face sizes whose face centre stays inside the frame on this camera's floor.
void ComputeFaceRange(Camera& c) {
  const double hp = 1.72;
  c.face_min = 0;
  c.face_max = 0;
  for (double F = 6; F <= 160; F += 0.5) {
    double z = c.DepthForFace(F, hp);
    if (z < 0.6 || z > c.z_back - 0.3) continue;
    double cy = c.FaceCentreY(z, hp);
    if (cy < 0.45 * F || cy > c.h - 0.55 * F) continue;
    if (c.face_min == 0) c.face_min = F;
    c.face_max = F;
  }
  c.face_min = std::max(c.face_min, 8.0);
}

Camera MakeCamera(int w, int h, uint64_t seed, uint64_t number) {
  SynthRng r(seed);
  Camera c;
  c.w = w;
  c.h = h;
  c.number = static_cast<int>(number % 99) + 1;
  double scale = w / 640.0;
  // Draw camera geometries until the floor holds both small and larger faces.
  for (int attempt = 0; attempt < 100; ++attempt) {
    c.outdoor = r.Chance(0.4);
    c.f = r.Uniform(460, 760) * scale;
    bool low = r.Chance(0.4);  // an entrance camera near head height: big faces
    c.cam_h = low ? r.Uniform(1.85, 2.5) : r.Uniform(2.6, 4.6);
    c.horizon = (low ? r.Uniform(0.25, 0.5) : r.Uniform(-0.08, 0.3)) * h;
    c.vp_x = r.Uniform(0.3, 0.7) * w;
    double half = c.outdoor ? r.Uniform(5, 12) : r.Uniform(2.5, 8);
    double off = r.Uniform(-0.5, 0.5) * half;
    c.x_left = -half + off;
    c.x_right = half + off;
    c.z_back = c.outdoor ? r.Uniform(30, 60) : r.Uniform(12, 35);
    ComputeFaceRange(c);
    if (c.face_max >= 16 && c.face_max > c.face_min + 6) break;
  }
  c.night = r.Chance(0.08);
  c.white_balance = Scalar(r.Uniform(0.9, 1.1), 1.0, r.Uniform(0.9, 1.1));
  c.blur = r.Chance(0.5) ? 0 : r.Uniform(0.3, 0.9);
  c.background = cv::Mat(h, w, CV_8UC3);
  if (c.outdoor)
    DrawOutdoor(c, r);
  else
    DrawIndoor(c, r);
  AddTexture(c.background, r, r.Uniform(6, 18), r.Uniform(0, 4));
  DrawForeground(c, r);
  return c;
}

// ---------------------------------------------------------------------------
// Composition and camera effects

struct Effects {
  double gain = 1;                 // global brightness
  double gradient = 0, angle = 0;  // a linear brightness ramp across the frame
  double noise = 3;                // sensor noise (standard deviation, grey levels)
  double blur = 0;                 // Gaussian sigma (0 = sharp)
  int jpeg_quality = 85;
  std::string stamp;  // the camera's date/time overlay
};

// Adds `src` (premultiplied colour + alpha) at `at`; pixels mostly covered become `id`'s.
void Composite(cv::Mat& frame, cv::Mat& owner, const cv::Mat& src, const cv::Mat& alpha,
               cv::Point at, int id) {
  for (int y = 0; y < src.rows; ++y) {
    int fy = at.y + y;
    if (fy < 0 || fy >= frame.rows) continue;
    const auto* s = src.ptr<uint8_t>(y);
    const auto* a = alpha.ptr<uint8_t>(y);
    auto* d = frame.ptr<uint8_t>(fy);
    auto* o = owner.ptr<int16_t>(fy);
    for (int x = 0; x < src.cols; ++x) {
      int fx = at.x + x;
      if (fx < 0 || fx >= frame.cols || a[x] == 0) continue;
      int inv = 255 - a[x];
      for (int k = 0; k < 3; ++k) {
        int v = s[3 * x + k] + (d[3 * fx + k] * inv + 127) / 255;
        d[3 * fx + k] = static_cast<uint8_t>(std::min(255, v));
      }
      if (a[x] >= 128) o[fx] = static_cast<int16_t>(id);
    }
  }
}

void RenderPerson(cv::Mat& frame, cv::Mat& owner, const Person& person, int id) {
  cv::Rect2d ext = PersonExtent(person.pose, person.look);
  int x0 = std::max(0, static_cast<int>(std::floor(ext.x)));
  int y0 = std::max(0, static_cast<int>(std::floor(ext.y)));
  int x1 = std::min(frame.cols, static_cast<int>(std::ceil(ext.x + ext.width)));
  int y1 = std::min(frame.rows, static_cast<int>(std::ceil(ext.y + ext.height)));
  if (x1 <= x0 || y1 <= y0) return;
  // Small people are drawn supersampled and reduced, so tiny faces keep their features.
  int s = static_cast<int>(Clamp(std::ceil(48.0 / person.pose.face_h), 1, 6));
  cv::Mat big((y1 - y0) * s, (x1 - x0) * s, CV_8UC3, Scalar::all(0));
  cv::Mat big_alpha(big.rows, big.cols, CV_8UC1, Scalar(0));
  Painter p(&big, &big_alpha, x0, y0, s);
  DrawPerson(p, person);
  cv::Mat small = big, small_alpha = big_alpha;
  if (s > 1) {
    cv::resize(big, small, cv::Size(x1 - x0, y1 - y0), 0, 0, cv::INTER_AREA);
    cv::resize(big_alpha, small_alpha, cv::Size(x1 - x0, y1 - y0), 0, 0, cv::INTER_AREA);
  }
  Composite(frame, owner, small, small_alpha, {x0, y0}, id);
}

// The fraction of the face ellipse that shows: inside the frame and owned by `id`.
double VisibleFraction(const cv::Mat& owner, int id, const FaceFrame& f) {
  cv::Rect2d box = FaceBox(f);
  int x0 = static_cast<int>(std::floor(box.x)) - 1, y0 = static_cast<int>(std::floor(box.y)) - 1;
  int w = static_cast<int>(std::ceil(box.width)) + 3,
      h = static_cast<int>(std::ceil(box.height)) + 3;
  cv::Mat m(h, w, CV_8UC1, Scalar(0));
  cv::ellipse(m, cv::Point(Fix(f.c.x - x0), Fix(f.c.y - y0)), cv::Size(Fix(f.a), Fix(f.b)),
              f.roll_deg, 0, 360, Scalar(255), cv::FILLED, cv::LINE_8, kShift);
  int total = 0, shown = 0;
  for (int y = 0; y < h; ++y) {
    const auto* row = m.ptr<uint8_t>(y);
    for (int x = 0; x < w; ++x) {
      if (!row[x]) continue;
      ++total;
      int fx = x0 + x, fy = y0 + y;
      if (fx >= 0 && fy >= 0 && fx < owner.cols && fy < owner.rows &&
          owner.at<int16_t>(fy, fx) == id)
        ++shown;
    }
  }
  return total ? static_cast<double>(shown) / total : 0.0;
}

void ApplyLighting(cv::Mat& img, const Effects& fx, const Camera& cam) {
  double cx = img.cols / 2.0, cy = img.rows / 2.0, half = img.cols / 2.0;
  double ca = std::cos(fx.angle), sa = std::sin(fx.angle);
  for (int y = 0; y < img.rows; ++y) {
    auto* row = img.ptr<uint8_t>(y);
    for (int x = 0; x < img.cols; ++x) {
      double g = fx.gain * (1 + fx.gradient * ((x - cx) * ca + (y - cy) * sa) / half);
      g = std::max(0.15, g);
      uint8_t* px = row + 3 * x;
      if (cam.night) {
        int lum = (29 * px[0] + 150 * px[1] + 77 * px[2]) >> 8;
        px[0] = px[1] = px[2] = static_cast<uint8_t>(lum);
      }
      for (int k = 0; k < 3; ++k) {
        int m = static_cast<int>(g * (cam.night ? 1.0 : cam.white_balance[k]) * 1024 + 0.5);
        px[k] = static_cast<uint8_t>(std::min(255, (px[k] * m + 512) >> 10));
      }
    }
  }
}

// Sensor noise: a luminance part shared by the channels plus smaller per-channel
// parts, each an Irwin-Hall sum of four random bytes (integer arithmetic only).
void AddNoise(cv::Mat& img, double sigma, uint64_t seed) {
  if (sigma <= 0) return;
  SynthRng r(seed);
  const double kSumSd = 147.8;  // standard deviation of the sum of four uniform bytes
  int lum_k = static_cast<int>(sigma / kSumSd * 65536);
  int chroma_k = static_cast<int>(0.45 * sigma / kSumSd * 65536);
  auto sum4 = [](uint64_t v, int shift) {
    return static_cast<int>(((v >> shift) & 255) + ((v >> (shift + 8)) & 255) +
                            ((v >> (shift + 16)) & 255) + ((v >> (shift + 24)) & 255)) -
           510;
  };
  for (int y = 0; y < img.rows; ++y) {
    auto* row = img.ptr<uint8_t>(y);
    for (int x = 0; x < img.cols; ++x) {
      uint64_t a = r.Bits(), b = r.Bits();
      int lum = (sum4(a, 0) * lum_k) >> 16;
      int n[3] = {(sum4(a, 32) * chroma_k) >> 16, (sum4(b, 0) * chroma_k) >> 16,
                  (sum4(b, 32) * chroma_k) >> 16};
      for (int k = 0; k < 3; ++k)
        row[3 * x + k] = cv::saturate_cast<uint8_t>(row[3 * x + k] + lum + n[k]);
    }
  }
}

std::string Stamp(int camera, int64_t seconds_of_year, int tenths) {
  int day = static_cast<int>(seconds_of_year / 86400) % 365;
  static const int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int month = 0;
  while (day >= kMonthDays[month]) day -= kMonthDays[month++];
  int64_t s = seconds_of_year % 86400;
  char buf[64];
  std::snprintf(buf, sizeof buf, "CAM %02d  2026-%02d-%02d %02d:%02d:%02d.%d", camera, month + 1,
                day + 1, static_cast<int>(s / 3600), static_cast<int>(s / 60 % 60),
                static_cast<int>(s % 60), tenths);
  return buf;
}

SynthFrame Compose(const Camera& cam, std::vector<Person> people, const Effects& fx,
                   uint64_t noise_seed) {
  SynthFrame out;
  out.bgr = cam.background.clone();
  cv::Mat owner(cam.h, cam.w, CV_16SC1, Scalar(-1));
  std::vector<int> order(people.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return people[a].depth > people[b].depth; });
  for (int i : order) RenderPerson(out.bgr, owner, people[i], i);
  if (cam.has_fg) Composite(out.bgr, owner, cam.fg_bgr, cam.fg_alpha, {0, 0}, -2);
  for (int i : order) {
    const Person& p = people[i];
    if (p.back_view) continue;
    FaceFrame f = MakeFaceFrame(p.pose, p.look);
    double visible = VisibleFraction(owner, i, f);
    if (visible < kOmitVisibleFraction) continue;
    cv::Rect2d box = FaceBox(f);
    double x0 = Clamp(box.x, 0, cam.w), y0 = Clamp(box.y, 0, cam.h);
    double x1 = Clamp(box.x + box.width, 0, cam.w), y1 = Clamp(box.y + box.height, 0, cam.h);
    if (x1 - x0 < 2 || y1 - y0 < 2) continue;
    Annotation a;
    // Boxes are stored with 1/100 pixel resolution so the JSON text stays short and exact.
    a.x = static_cast<float>(std::round(x0 * 100) / 100);
    a.y = static_cast<float>(std::round(y0 * 100) / 100);
    a.w = static_cast<float>(std::round((x1 - x0) * 100) / 100);
    a.h = static_cast<float>(std::round((y1 - y0) * 100) / 100);
    a.class_id = p.style;
    a.difficult = visible < kDifficultVisibleFraction;
    a.area = static_cast<double>(a.w) * a.h;
    out.annotations.push_back(a);
  }
  cv::putText(out.bgr, fx.stamp, {9, 19}, cv::FONT_HERSHEY_PLAIN, 1.0, Scalar(0, 0, 0), 2,
              cv::LINE_8);
  cv::putText(out.bgr, fx.stamp, {8, 18}, cv::FONT_HERSHEY_PLAIN, 1.0, Scalar(235, 235, 235), 1,
              cv::LINE_8);
  ApplyLighting(out.bgr, fx, cam);
  if (fx.blur > 0) cv::GaussianBlur(out.bgr, out.bgr, cv::Size(0, 0), fx.blur);
  AddNoise(out.bgr, fx.noise, noise_seed);
  out.jpeg_quality = fx.jpeg_quality;
  return out;
}

int RandomStyle(SynthRng& r) { return r.Pick({45, 35, 20}); }

}  // namespace

// ---------------------------------------------------------------------------
// Stills

SynthFrame RenderStill(const SynthOptions& o, int index) {
  uint64_t cam_index = static_cast<uint64_t>(index / kStillsPerCamera);
  Camera cam = MakeCamera(o.width, o.height, MixSeed(o.seed, kCameraStream, cam_index), cam_index);
  SynthRng r(MixSeed(o.seed, kStillStream, static_cast<uint64_t>(index)));
  int count = r.Chance(0.12) ? r.Int(12, 22) : r.Int(2, 11);
  std::vector<Person> people;
  for (int attempt = 0; attempt < count * 8 && static_cast<int>(people.size()) < count; ++attempt) {
    Person p;
    p.style = RandomStyle(r);
    p.look = RandomLook(r, p.style);
    p.back_view = r.Chance(0.07);
    double hp = p.look.height_m;
    double z, x;
    if (!people.empty() && r.Chance(0.35)) {
      // Next to someone already there: groups make people overlap.
      const Person& o2 = people[r.Int(0, static_cast<int>(people.size()) - 1)];
      z = o2.depth + r.Uniform(-0.8, 1.5);
      x = (o2.pose.foot_x - cam.vp_x) * o2.depth / cam.f + r.Uniform(-0.8, 0.8);
    } else {
      double u = r.Uniform();
      double F = cam.face_min + (cam.face_max - cam.face_min) * u * u;
      z = cam.DepthForFace(F, hp);
      double lo = (-0.08 * cam.w - cam.vp_x) * z / cam.f,
             hi = (1.08 * cam.w - cam.vp_x) * z / cam.f;
      lo = std::max(lo, cam.x_left + 0.3);
      hi = std::min(hi, cam.x_right - 0.3);
      if (hi <= lo) continue;
      x = r.Uniform(lo, hi);
    }
    if (z < 0.6 || z > cam.z_back - 0.3 || x < cam.x_left || x > cam.x_right) continue;
    double F = kFaceOfHeight * cam.f * hp / z;
    double cy = cam.FaceCentreY(z, hp);
    if (F < 7 || F > 170 || cy < 0.3 * F || cy > cam.h - 0.3 * F) continue;
    bool clash = false;
    for (const auto& q : people) {
      double qx = (q.pose.foot_x - cam.vp_x) * q.depth / cam.f;
      if (std::fabs(qx - x) < 0.3 && std::fabs(q.depth - z) < 0.35) clash = true;
    }
    if (clash) continue;
    p.depth = z;
    Point2d foot = cam.Project(x, 0, z);
    p.pose.foot_x = foot.x;
    p.pose.foot_y = foot.y;
    p.pose.face_h = F;
    p.pose.yaw = r.Uniform(-0.35, 0.35);
    p.pose.roll_deg = Clamp(r.Normal(0, 5), -12, 12);
    p.pose.pitch = r.Uniform(-0.12, 0.12);
    p.pose.swing = r.Uniform(-1, 1);
    people.push_back(p);
  }
  Effects fx;
  fx.gain = r.Uniform(0.55, 1.3);
  fx.gradient = r.Chance(0.6) ? r.Uniform(0, 0.35) : 0;
  fx.angle = r.Uniform(0, 2 * kPi);
  fx.noise = r.Uniform(1.0, 7.0);
  fx.blur = r.Chance(0.4) ? cam.blur : cam.blur + r.Uniform(0.3, 1.3);
  fx.jpeg_quality = r.Int(30, 95);
  fx.stamp = Stamp(cam.number, r.Int(0, 365 * 86400 - 1), r.Int(0, 9));
  return Compose(cam, std::move(people), fx,
                 MixSeed(o.seed, kNoiseStream, static_cast<uint64_t>(index)));
}

// ---------------------------------------------------------------------------
// The clip

struct VideoSimulation::State {
  struct Walker {
    Person person;
    double x = 0, z = 0, vx = 0, vz = 0, phase = 0, yaw_bias = 0;
    int pause = 0;  // frames left standing still
  };
  SynthOptions o;
  Camera cam;
  SynthRng r{0};
  std::vector<Walker> walkers;
  int next = 0;
  double gain0 = 1, step_at = 0, step_gain = 1, gradient = 0, angle = 0, noise = 3;
  int64_t start_second = 0;

  double VisibleLo(double z) const { return (-0.12 * cam.w - cam.vp_x) * z / cam.f; }
  double VisibleHi(double z) const { return (1.12 * cam.w - cam.vp_x) * z / cam.f; }
  double ZNear(double hp) const { return cam.DepthForFace(cam.face_max, hp); }
  double ZFar(double hp) const {
    return std::min(cam.z_back - 0.3, cam.DepthForFace(cam.face_min, hp));
  }

  // Styles come from shuffled bags of all three, so every class walks through the clip.
  std::vector<int> style_bag;
  int NextStyle() {
    if (style_bag.empty()) {
      style_bag = {kWithMask, kWithoutMask, kIncorrect, kWithMask, kWithoutMask};
      for (int i = static_cast<int>(style_bag.size()) - 1; i > 0; --i)
        std::swap(style_bag[i], style_bag[r.Int(0, i)]);
    }
    int st = style_bag.back();
    style_bag.pop_back();
    return st;
  }

  void Spawn(Walker& w, bool anywhere) {
    w.person.style = NextStyle();
    w.person.look = RandomLook(r, w.person.style);
    double hp = w.person.look.height_m;
    double zn = ZNear(hp), zf = ZFar(hp);
    double u = r.Uniform();
    w.z = zn + (zf - zn) * (1 - u * u);  // more people far away, where faces are small
    double speed = r.Uniform(0.7, 1.6);
    int entry = anywhere ? 0 : r.Pick({40, 40, 20});
    double lo = std::max(VisibleLo(w.z), cam.x_left + 0.3);
    double hi = std::min(VisibleHi(w.z), cam.x_right - 0.3);
    if (hi <= lo) hi = lo + 0.1;
    double heading = r.Uniform(-0.35, 0.35);  // mostly across the view
    if (entry == 0) {
      w.x = r.Uniform(lo, hi);
      double dir = r.Chance(0.5) ? 1 : -1;
      w.vx = dir * speed * std::cos(heading);
      w.vz = speed * std::sin(heading);
      if (r.Chance(0.2)) w.vx *= 0.3, w.vz = -speed * 0.9;  // walking towards the camera
    } else if (entry == 1) {
      w.x = lo;
      w.vx = speed * std::cos(heading);
      w.vz = speed * std::sin(heading);
    } else {
      w.x = hi;
      w.vx = -speed * std::cos(heading);
      w.vz = speed * std::sin(heading);
    }
    if (!anywhere && r.Chance(0.25)) {  // from the far end towards the camera
      w.z = zf;
      w.x = r.Uniform(lo, hi);
      w.vx = speed * r.Uniform(-0.3, 0.3);
      w.vz = -speed;
    }
    w.phase = r.Uniform(0, 2 * kPi);
    w.yaw_bias = r.Uniform(-0.1, 0.1);
    w.pause = 0;
  }

  bool Outside(const Walker& w) const {
    double hp = w.person.look.height_m;
    return w.z < ZNear(hp) || w.z > ZFar(hp) + 0.5 || w.x < VisibleLo(w.z) - 0.5 ||
           w.x > VisibleHi(w.z) + 0.5 || w.x < cam.x_left || w.x > cam.x_right;
  }
};

VideoSimulation::VideoSimulation(const SynthOptions& o) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.o = o;
  // A colour camera whose floor also holds medium-sized faces (a clip of only tiny faces
  // teaches little).
  for (uint64_t i = 0; i < 50; ++i) {
    s.cam = MakeCamera(o.width, o.height, MixSeed(o.seed, kVideoStream, 100 + i), 0);
    if (s.cam.face_max >= 36 && !s.cam.night) break;
  }
  s.r = SynthRng(MixSeed(o.seed, kVideoStream, 1));
  s.walkers.resize(static_cast<size_t>(s.r.Int(4, 9)));
  for (auto& w : s.walkers) s.Spawn(w, true);
  s.gain0 = s.r.Uniform(0.7, 1.2);
  s.step_at = s.r.Uniform(0.3, 0.8) * o.frames;
  s.step_gain = s.r.Chance(0.5) ? s.r.Uniform(0.65, 0.85) : s.r.Uniform(1.1, 1.3);
  s.gradient = s.r.Uniform(0, 0.3);
  s.angle = s.r.Uniform(0, 2 * kPi);
  s.noise = s.r.Uniform(1.5, 5.0);
  s.start_second = s.r.Int(0, 364 * 86400);
}

VideoSimulation::~VideoSimulation() = default;

SynthFrame VideoSimulation::Next() {
  State& s = *state_;
  const int k = s.next++;
  const double dt = 1.0 / s.o.fps;
  std::vector<Person> people;
  for (auto& w : s.walkers) {
    if (k > 0) {
      if (w.pause > 0) {
        --w.pause;
      } else {
        w.x += w.vx * dt;
        w.z += w.vz * dt;
        w.phase += std::hypot(w.vx, w.vz) * dt * 2 * kPi / 1.3;
        if (s.r.Chance(0.01)) w.pause = s.r.Int(5, 25);
      }
      if (s.Outside(w)) s.Spawn(w, false);
    }
    Person p = w.person;
    double hp = p.look.height_m;
    double speed = std::hypot(w.vx, w.vz);
    p.back_view = w.vz > 0.45 * speed && w.pause == 0;  // walking away: only the back of the head
    p.depth = w.z;
    Point2d foot = s.cam.Project(w.x, 0, w.z);
    p.pose.foot_x = foot.x;
    p.pose.foot_y = foot.y;
    p.pose.face_h = kFaceOfHeight * s.cam.f * hp / w.z;
    p.pose.yaw = Clamp(w.vx / std::max(0.1, speed) * 0.3 + w.yaw_bias, -0.4, 0.4);
    p.pose.roll_deg = 3 * std::sin(w.phase * 0.5);
    p.pose.swing = w.pause > 0 ? 0 : std::sin(w.phase);
    p.pose.bob =
        w.pause > 0 ? 0 : 0.012 * p.pose.face_h / kFaceOfHeight * std::fabs(std::sin(w.phase));
    people.push_back(p);
  }
  Effects fx;
  // Slow drift plus one switch of the lights (ramped over five frames).
  double ramp = Clamp((k - s.step_at) / 5.0, 0, 1);
  fx.gain = s.gain0 * (1 + 0.08 * std::sin(2 * kPi * k / std::max(20, s.o.frames))) *
            (1 + (s.step_gain - 1) * ramp);
  fx.gradient = s.gradient;
  fx.angle = s.angle;
  fx.noise = s.noise;
  fx.blur = s.cam.blur;
  fx.jpeg_quality = kVideoJpegQuality;
  int64_t tenths = static_cast<int64_t>(std::llround(k * 10.0 / s.o.fps));
  fx.stamp = Stamp(s.cam.number, s.start_second + tenths / 10, static_cast<int>(tenths % 10));
  return Compose(s.cam, std::move(people), fx,
                 MixSeed(s.o.seed, kVideoNoiseStream, static_cast<uint64_t>(k)));
}

}  // namespace internal

// ---------------------------------------------------------------------------
// Writing the data set

namespace {

namespace fs = std::filesystem;

constexpr const char* kImagesDir = "images";
constexpr const char* kClipName = "clip.avi";
constexpr const char* kPartialClipName = "clip.partial.avi";

std::string FormatFps(double fps) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", fps);
  return buf;
}

Status CheckOptions(const SynthOptions& o) {
  if (o.frames < 1 || o.frames > 1000000)
    return Status::InvalidArgument("--frames", std::to_string(o.frames) + " is not in 1..1000000");
  if (o.width < 160 || o.height < 120 || o.width > 8192 || o.height > 8192)
    return Status::InvalidArgument("size", "frame size must be 160x120 .. 8192x8192");
  if (!(o.fps > 0 && o.fps <= 240)) return Status::InvalidArgument("fps", "must be in (0, 240]");
  return Status::Ok();
}

// True when `dir` holds nothing but what an interrupted synth leaves behind.
bool OnlySynthFiles(const fs::path& dir) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name == kClipName || name == kPartialClipName || name == ".cache") continue;
    if (name != kImagesDir || !e.is_directory()) return false;
    for (const auto& img : fs::directory_iterator(e.path(), ec)) {
      std::string n = img.path().filename().string();
      bool ours = n.rfind("frame_", 0) == 0 && (n.ends_with(".jpg") || n.ends_with(".jpg.tmp"));
      if (!ours) return false;
    }
  }
  return !ec;
}

// Makes `out` ready: created when missing, an earlier (or interrupted) synth
// output cleared, anything else refused.
Status PrepareOutput(const fs::path& out) {
  std::error_code ec;
  if (fs::exists(out, ec)) {
    if (!fs::is_directory(out, ec))
      return Status::InvalidArgument(out.string(), "exists and is not a directory");
    if (!fs::is_empty(out, ec)) {
      auto prev = LoadDataset(out);
      bool earlier_synth = prev.ok() && prev->manifest.source.rfind("synth ", 0) == 0;
      bool interrupted_synth = !fs::exists(out / kManifestFileName, ec) && OnlySynthFiles(out);
      if (!earlier_synth && !interrupted_synth)
        return Status::InvalidArgument(
            out.string(),
            "is not empty and holds no earlier synth data set; choose an empty or new folder");
      for (const char* p : {kImagesDir, kClipName, kPartialClipName, ".cache", kManifestFileName}) {
        fs::remove_all(out / p, ec);
        if (ec) return Status::IOError((out / p).string(), "cannot remove: " + ec.message());
      }
    }
  }
  fs::create_directories(out, ec);
  if (ec) return Status::IOError(out.string(), "cannot create: " + ec.message());
  return Status::Ok();
}

}  // namespace

bool SynthIsValFrame(const SynthOptions& o, int index) {
  if (o.video) return index >= o.frames - o.frames / 5;
  return index % 5 == 4;
}

Result<Dataset> SynthesizeDataset(const fs::path& out, const SynthOptions& o) {
  MB_RETURN_IF_ERROR(CheckOptions(o));
  MB_RETURN_IF_ERROR(PrepareOutput(out));
  Manifest m;
  m.name = o.video ? "synth-video" : "synth";
  m.source = "synth seed=" + std::to_string(o.seed) + " frames=" + std::to_string(o.frames) +
             " size=" + std::to_string(o.width) + "x" + std::to_string(o.height) +
             (o.video ? " video fps=" + FormatFps(o.fps) : std::string());
  m.classes = FaceMaskClasses();
  m.splits = {"train", "val"};

  auto add_frame = [&](int i, int media, const std::string& name, internal::SynthFrame& f) {
    Frame fr;
    fr.id = i + 1;
    fr.name = name;
    fr.media = media;
    fr.frame_index = o.video ? i : 0;
    fr.width = o.width;
    fr.height = o.height;
    fr.split = SynthIsValFrame(o, i) ? "val" : "train";
    fr.annotations = std::move(f.annotations);
    m.frames.push_back(std::move(fr));
  };

  if (!o.video) {
    for (int i = 0; i < o.frames; ++i) {
      internal::SynthFrame f = internal::RenderStill(o, i);
      std::vector<uint8_t> jpeg;
      if (!cv::imencode(".jpg", f.bgr, jpeg, {cv::IMWRITE_JPEG_QUALITY, f.jpeg_quality}))
        return Status::IOError("synth", "JPEG encoding failed for frame " + std::to_string(i));
      char name[32];
      std::snprintf(name, sizeof name, "frame_%05d", i);
      std::string rel = std::string(kImagesDir) + "/" + name + ".jpg";
      std::string_view bytes(reinterpret_cast<const char*>(jpeg.data()), jpeg.size());
      MB_RETURN_IF_ERROR(WriteFileAtomic(out / rel, bytes));
      m.media.push_back({Media::Kind::kImage, rel, Sha256Hex(bytes), jpeg.size()});
      add_frame(i, i, name, f);
      if (o.progress) std::fprintf(stderr, "\rsynth: frame %d/%d", i + 1, o.frames);
    }
  } else {
    // OpenCV's own MJPEG writer (not FFmpeg): the same frames give the same bytes.
    fs::path tmp = out / kPartialClipName;
    cv::VideoWriter writer(tmp.string(), cv::CAP_OPENCV_MJPEG,
                           cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), o.fps,
                           cv::Size(o.width, o.height));
    if (!writer.isOpened())
      return Status::Unsupported(tmp.string(), "OpenCV cannot write an MJPEG .avi here");
    writer.set(cv::VIDEOWRITER_PROP_QUALITY, internal::kVideoJpegQuality);
    internal::VideoSimulation sim(o);
    for (int i = 0; i < o.frames; ++i) {
      internal::SynthFrame f = sim.Next();
      writer.write(f.bgr);
      add_frame(i, 0, std::string(kClipName) + "#" + std::to_string(i), f);
      if (o.progress) std::fprintf(stderr, "\rsynth: frame %d/%d", i + 1, o.frames);
    }
    writer.release();
    std::error_code ec;
    fs::rename(tmp, out / kClipName, ec);
    if (ec) return Status::IOError((out / kClipName).string(), "rename failed: " + ec.message());
    auto sha = Sha256File(out / kClipName);
    if (!sha.ok()) return sha.status();
    m.media.push_back({Media::Kind::kVideo, kClipName, *sha,
                       static_cast<uint64_t>(fs::file_size(out / kClipName))});
  }
  if (o.progress) std::fprintf(stderr, "\n");
  auto hash = SaveManifest(out, m);
  if (!hash.ok()) return hash.status();
  Dataset ds;
  ds.dir = fs::absolute(out).lexically_normal();
  ds.manifest = std::move(m);
  ds.manifest_sha256 = *hash;
  return ds;
}

}  // namespace maskbench::datasets
