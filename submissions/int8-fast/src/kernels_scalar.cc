// Portable convolution kernel: plain C++ on the int8 view with [oc][ky][kx][ic]
// weights (the innermost loop is a contiguous dot product the compiler can
// vectorise for the baseline x86-64 target).
#include <cstddef>

#include "kernels.h"

namespace maskbench::int8_fast::internal {

void ConvRowsScalar(const ConvArgs& a, int row_begin, int row_end) {
  const int k = a.kernel, cin = a.cin;
  const int out_stride32 = a.oc_blocks * 8;
  for (int oy = row_begin; oy < row_end; ++oy) {
    for (int ox = 0; ox < a.out_w; ++ox) {
      const int8_t* base = a.in8 +
                           static_cast<ptrdiff_t>(oy * a.stride + a.offset) * a.in_row_stride +
                           static_cast<ptrdiff_t>(ox * a.stride + a.offset) * a.in_pixel_stride;
      for (int oc = 0; oc < a.cout; ++oc) {
        int32_t acc = a.bias[oc];
        const int8_t* w = a.weights_ohwi + static_cast<size_t>(oc) * k * k * cin;
        for (int ky = 0; ky < k; ++ky) {
          for (int kx = 0; kx < k; ++kx) {
            const int8_t* x = base + static_cast<ptrdiff_t>(ky) * a.in_row_stride +
                              static_cast<ptrdiff_t>(kx) * a.in_pixel_stride;
            const int8_t* wt = w + (ky * k + kx) * cin;
            int32_t s = 0;
            for (int i = 0; i < cin; ++i)
              s += static_cast<int32_t>(x[i]) * static_cast<int32_t>(wt[i]);
            acc += s;
          }
        }
        if (a.out8 != nullptr) {
          a.out8[static_cast<ptrdiff_t>(oy) * a.out_row_stride +
                 static_cast<ptrdiff_t>(ox) * a.out_pixel_stride + oc] =
              RequantizeScalar(acc, a.multiplier[oc], a.shift[oc], a.relu);
        } else {
          a.out32[(static_cast<size_t>(oy) * a.out_w + ox) * out_stride32 + oc] = acc;
        }
      }
    }
  }
}

}  // namespace maskbench::int8_fast::internal
