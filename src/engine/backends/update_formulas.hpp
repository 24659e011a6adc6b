// Optimizer and regularizer element updates, shared by every backend's update kernels (host and
// device; the rules of formulas.hpp hold here too).
#pragma once

#include "backends/formulas.hpp"

namespace glia::formulas {

// ---- optimizer and regularizer element updates (every backend's update kernels) ----

GLIA_HD void rmsprop_element(float& w, float g, float& rms, float* mom, float* avg, float lr,
                             float rho, float momentum, float eps) {
  rms = mul_rn(rho, rms) + mul_rn(mul_rn(1.0f - rho, g), g);
  float denom = rms;
  if (avg) {
    *avg = mul_rn(rho, *avg) + mul_rn(1.0f - rho, g);
    denom -= mul_rn(*avg, *avg);
  }
  float inc = lr * g / sqrtf(denom + eps);
  if (mom) {
    *mom = mul_rn(momentum, *mom) + inc;
    w -= *mom;
  } else {
    w -= inc;
  }
}

GLIA_HD void adam_element(float& w, float g, float& m, float& v, float* vhat, float alpha,
                          float beta1, float beta2, float eps) {
  m += mul_rn(g - m, 1.0f - beta1);
  v += mul_rn(mul_rn(g, g) - v, 1.0f - beta2);
  float vv = v;
  if (vhat) vv = *vhat = max_of(*vhat, v);
  w -= m * alpha / (sqrtf(vv) + eps);
}

GLIA_HD void sgd_element(float& w, float g, float* mom, float lr, float momentum, bool nesterov) {
  if (!mom) {
    w -= mul_rn(lr, g);
    return;
  }
  *mom = mul_rn(momentum, *mom) - mul_rn(lr, g);
  w += nesterov ? mul_rn(momentum, *mom) - mul_rn(lr, g) : *mom;
}

GLIA_HD float l1l2_element(float w, float g, float l1, float l2) {
  float sign = w > 0 ? 1.0f : (w < 0 ? -1.0f : 0.0f);
  return g + (mul_rn(l1, sign) + mul_rn(2.0f * l2, w));
}

}  // namespace glia::formulas
