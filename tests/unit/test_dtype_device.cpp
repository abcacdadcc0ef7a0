// DType, Device, and torch's type promotion.
#include <gtest/gtest.h>

#include "ir/device.h"
#include "ir/dtype.h"
#include "ops/torch/promotion.h"
#include "support/error.h"

namespace keraunos {
namespace {

TEST(DType, NamesRoundTrip) {
  for (int i = 0; i < kNumDTypes; ++i) {
    auto t = static_cast<DType>(i);
    EXPECT_EQ(dtype_from_short_name(short_name(t)), t);
    EXPECT_EQ(dtype_from_torch_name(torch_name(t)), t);
  }
  EXPECT_EQ(dtype_from_torch_name("half"), DType::Float16);
  EXPECT_FALSE(dtype_from_short_name("f33").has_value());
}

TEST(DType, CategoriesAndSizes) {
  EXPECT_EQ(category(DType::Bool), DTypeCategory::Bool);
  EXPECT_EQ(category(DType::UInt8), DTypeCategory::Integer);
  EXPECT_EQ(category(DType::BFloat16), DTypeCategory::Floating);
  EXPECT_EQ(category(DType::Float8E4M3FN), DTypeCategory::Floating);
  EXPECT_EQ(category(DType::Complex64), DTypeCategory::Complex);
  EXPECT_EQ(itemsize(DType::Complex128), 16);
  EXPECT_EQ(itemsize(DType::BFloat16), 2);
  EXPECT_TRUE(is_low_precision(DType::Float16));
  EXPECT_FALSE(is_low_precision(DType::Float32));
  EXPECT_EQ(to_real(DType::Complex64), DType::Float32);
  EXPECT_EQ(to_complex(DType::Float64), DType::Complex128);
}

TEST(Device, ParseAndPrint) {
  EXPECT_EQ(Device::parse("cpu"), Device::cpu());
  EXPECT_EQ(Device::parse("cuda"), Device::cuda(0));
  EXPECT_EQ(Device::parse("cuda:3"), Device::cuda(3));
  EXPECT_EQ(Device::cuda(2).to_string(), "cuda:2");
  EXPECT_FALSE(Device::parse("cuda:x").has_value());
  EXPECT_FALSE(Device::parse("tpu").has_value());
}

// Expected values are torch.promote_types results.
TEST(Promotion, PromoteTypesMatchesTorch) {
  using D = DType;
  EXPECT_EQ(ops::promote_types(D::UInt8, D::Int8), D::Int16);
  EXPECT_EQ(ops::promote_types(D::UInt8, D::Int32), D::Int32);
  EXPECT_EQ(ops::promote_types(D::Bool, D::Int8), D::Int8);
  EXPECT_EQ(ops::promote_types(D::Int64, D::Float16), D::Float16);
  EXPECT_EQ(ops::promote_types(D::Float16, D::BFloat16), D::Float32);
  EXPECT_EQ(ops::promote_types(D::BFloat16, D::Float64), D::Float64);
  EXPECT_EQ(ops::promote_types(D::Complex64, D::Float64), D::Complex128);
  EXPECT_EQ(ops::promote_types(D::Int32, D::Complex64), D::Complex64);
  EXPECT_THROW(ops::promote_types(D::Float8E4M3FN, D::Float32), TypeError);
}

}  // namespace
}  // namespace keraunos
