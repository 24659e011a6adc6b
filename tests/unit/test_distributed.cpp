// Data-parallel training's arithmetic: shards of a batch, the gradient bucket plan, the order in
// which buckets start during backward, and per-row dropout across shards. The real group
// (mpirun -np 2) is tested end to end in tests/e2e/mpi_training.sh.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>

#include "distributed/grad_reducer.hpp"
#include "glia/backend.hpp"
#include "glia/distributed.hpp"
#include "glia/error.hpp"
#include "glia/layers.hpp"
#include "glia/runtime.hpp"

namespace glia {
namespace {

TEST(Distributed, ShardsCoverTheBatchContiguouslyAndRankZeroFirst) {
  for (int size : {1, 2, 3, 4, 8})
    for (int64_t count : {0, 1, 2, 3, 7, 256, 257, 1000}) {
      int64_t next = 0;
      for (int r = 0; r < size; ++r) {
        const Shard s = shard_of(count, r, size);
        EXPECT_EQ(s.begin, next) << count << " " << r << "/" << size;
        EXPECT_GE(s.size(), count / size);
        EXPECT_LE(s.size(), count / size + 1);
        next = s.end;
      }
      EXPECT_EQ(next, count);
      if (count > 0) {
        EXPECT_GT(shard_of(count, 0, size).size(), 0);
      }
    }
  EXPECT_EQ(shard_of(5, 0, 2).size(), 3);
  EXPECT_EQ(shard_of(5, 1, 2).begin, 3);
}

TEST(Distributed, BucketsCloseWhenFullAndKeepOrder) {
  const std::vector<int64_t> counts{10, 262656, 100, 401920, 3};  // elements
  auto b = plan_buckets(counts, 1 << 20);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].items, (std::vector<size_t>{0, 1}));  // 1,050,664 bytes >= 1 MiB: closed
  EXPECT_EQ(b[1].items, (std::vector<size_t>{2, 3}));  // 1,608,080 bytes
  EXPECT_EQ(b[2].items, (std::vector<size_t>{4}));     // the rest
  EXPECT_EQ(b[0].elements + b[1].elements + b[2].elements, 10 + 262656 + 100 + 401920 + 3);
  EXPECT_EQ(plan_buckets(counts, 1).size(), counts.size());      // one per variable
  EXPECT_EQ(plan_buckets(counts, int64_t{1} << 40).size(), 1u);  // all in one
  EXPECT_TRUE(plan_buckets(std::vector<int64_t>{}, 1024).empty());
}

TEST(Distributed, BucketBytesFromTheEnvironment) {
  unsetenv("GLIA_BUCKET_BYTES");
  EXPECT_EQ(default_bucket_bytes(), 1 << 20);
  setenv("GLIA_BUCKET_BYTES", "4096", 1);
  EXPECT_EQ(default_bucket_bytes(), 4096);
  setenv("GLIA_BUCKET_BYTES", "4k", 1);
  EXPECT_THROW(default_bucket_bytes(), Error);
  unsetenv("GLIA_BUCKET_BYTES");
}

TEST(Distributed, LauncherRankFromTheEnvironment) {
  for (const char* v :
       {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID", "RANK", "WORLD_SIZE"})
    unsetenv(v);
  EXPECT_EQ(launcher_rank(), 0);
  setenv("SLURM_PROCID", "3", 1);
  EXPECT_EQ(launcher_rank(), 3);
  setenv("OMPI_COMM_WORLD_RANK", "1", 1);  // Open MPI's own variable wins
  EXPECT_EQ(launcher_rank(), 1);
  unsetenv("SLURM_PROCID");
  unsetenv("OMPI_COMM_WORLD_RANK");
  // A job's own RANK, with no group of more than one process, is not a launcher's rank.
  setenv("RANK", "2", 1);
  EXPECT_EQ(launcher_rank(), 0);
  setenv("WORLD_SIZE", "1", 1);
  EXPECT_EQ(launcher_rank(), 0);
  setenv("WORLD_SIZE", "4", 1);
  EXPECT_EQ(launcher_rank(), 2);
  unsetenv("RANK");
  unsetenv("WORLD_SIZE");
}

TEST(Distributed, RanksOnOneMachineShareItsCores) {
  const char* keep_glia = std::getenv("GLIA_THREADS");
  const char* keep_omp = std::getenv("OMP_NUM_THREADS");
  const std::string glia_threads = keep_glia ? keep_glia : "", omp = keep_omp ? keep_omp : "";
  unsetenv("GLIA_THREADS");
  unsetenv("OMP_NUM_THREADS");
  const int all = default_num_threads();
  setenv("OMPI_COMM_WORLD_LOCAL_SIZE", "2", 1);
  EXPECT_EQ(default_num_threads(), std::max(1, all / 2));
  setenv("GLIA_THREADS", "3", 1);  // an explicit count is the rank's own
  EXPECT_EQ(default_num_threads(), 3);
  unsetenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  unsetenv("GLIA_THREADS");
  if (keep_glia) setenv("GLIA_THREADS", glia_threads.c_str(), 1);
  if (keep_omp) setenv("OMP_NUM_THREADS", omp.c_str(), 1);
}

TEST(Distributed, NoGroupWithoutALauncher) {
  // The unit tests run alone: no launcher variables, so no MPI is initialized.
  EXPECT_EQ(distributed(), nullptr);
  abort_distributed(1);  // a no-op for one process
  // A backend's own transport (NCCL for "cuda") is only for a group: alone, none is made.
  EXPECT_EQ(distributed_for(*get_backend("cpu")), nullptr);
}

// Regression: any GLIA_DISTRIBUTED other than "0" (e.g. "off", "false") silently meant "on".
// distributed() decides once per process: the check runs in a fresh child process.
TEST(DistributedDeathTest, AnUnknownGliaDistributedValueIsRefused) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        setenv("GLIA_DISTRIBUTED", "off", 1);
        try {
          distributed();
        } catch (const Error& e) {
          std::fprintf(stderr, "%s\n", e.what());
          std::exit(3);
        }
        std::exit(0);
      },
      testing::ExitedWithCode(3), "GLIA_DISTRIBUTED must be 0 .* or 1 .*, got 'off'");
}

// A group of one that records what the reducer hands it and doubles it (as two ranks holding
// equal gradients would sum them), to check the packing and the start order.
class RecordingGroup final : public Communicator {
 public:
  struct Call {
    size_t elements;
    int at_step;  // the backward position when it started
  };
  int rank() const override { return 0; }
  int size() const override { return 2; }
  int local_rank() const override { return 0; }
  std::string description() const override { return "recording"; }
  std::unique_ptr<AllreduceRequest> iallreduce_sum(std::span<float> data) override {
    calls.push_back({data.size(), position});
    for (float& f : data) f *= 2.0f;
    struct Done final : AllreduceRequest {
      bool test() override { return true; }
      void wait() override {}
    };
    return std::make_unique<Done>();
  }
  void allreduce_sum(std::span<float> data) override {
    blocking.push_back(calls.size());
    iallreduce_sum(data);
  }
  void allreduce_sum(std::span<double>) override {}
  void broadcast(std::span<float>, int) override {}
  void barrier() override {}
  [[noreturn]] void abort(int code) override { std::exit(code); }
  std::vector<Call> calls;
  std::vector<size_t> blocking;  // the calls made by the blocking allreduce
  int position = 0;
};

TEST(Distributed, BucketsStartAsSoonAsTheirGradientsAreFinal) {
  // Three dense-like nodes: 1 (big), 2 (big), 3 (small); backward visits 3, 2, 1.
  std::vector<Variable> v(6);
  const std::vector<int64_t> sizes{300000, 100, 250000, 50, 500, 5};
  for (size_t i = 0; i < v.size(); ++i) {
    v[i].value = Tensor({sizes[i]});
    v[i].grad = Tensor::full({sizes[i]}, static_cast<float>(i + 1));
  }
  std::vector<std::vector<Variable*>> node_vars{{}, {&v[0], &v[1]}, {&v[2], &v[3]}, {&v[4], &v[5]}};
  RecordingGroup group;
  // 1,000,000 bytes: {node 3, node 2} (1,002,220 bytes), {node 1}
  GradientReducer reducer(group, node_vars, 1000000);
  ASSERT_EQ(reducer.buckets().size(), 2u);
  // A bucket's gradients are one buffer, each variable at a 64-byte boundary (the allreduce
  // runs in place), and keep their values.
  // In the order they become final: node 3's, then node 2's.
  EXPECT_EQ(v[5].grad.data(), v[4].grad.data() + 512);
  EXPECT_EQ(v[2].grad.data(), v[5].grad.data() + 16);
  EXPECT_EQ(v[3].grad.data(), v[2].grad.data() + 250000);
  EXPECT_EQ(v[1].grad.data(), v[0].grad.data() + 300000);
  EXPECT_EQ(v[3].grad[49], 4.0f);
  {  // However small the buckets, a node's variables (final together) stay in one.
    std::vector<Variable> w(6);
    for (size_t i = 0; i < w.size(); ++i) w[i].value = Tensor({sizes[i]});
    RecordingGroup other;
    GradientReducer per_node(other, {{}, {&w[0], &w[1]}, {&w[2], &w[3]}, {&w[4], &w[5]}}, 1);
    ASSERT_EQ(per_node.buckets().size(), 3u);
    for (const Bucket& b : per_node.buckets()) EXPECT_EQ(b.items.size(), 2u);
  }
  std::vector<const float*> slots;
  for (const Variable& x : v) slots.push_back(x.grad.data());
  reducer.begin_step();
  group.position = 3;
  reducer.node_done(3);
  EXPECT_TRUE(group.calls.empty());  // 555 elements: the bucket is not complete yet
  group.position = 2;
  reducer.node_done(2);
  ASSERT_EQ(group.calls.size(), 1u);  // started before node 1's backward: overlapped
  EXPECT_EQ(group.calls[0].elements, 250000u + 64 + 512 + 16);  // 250,555 and the padding
  EXPECT_EQ(group.calls[0].at_step, 2);
  group.position = 1;
  reducer.node_done(1);
  EXPECT_EQ(group.calls.size(), 1u);  // the last bucket: nothing left to overlap it with
  group.position = 0;
  reducer.finish();
  ASSERT_EQ(group.calls.size(), 2u);
  EXPECT_EQ(group.calls[1].elements, 300000u + 112);
  EXPECT_EQ(group.blocking, std::vector<size_t>{1});  // reduced by a blocking allreduce
  for (size_t i = 0; i < v.size(); ++i) {             // summed in place: no copy made
    EXPECT_EQ(v[i].grad.data(), slots[i]) << i;
    EXPECT_EQ(v[i].grad[0], 2.0f * static_cast<float>(i + 1)) << i;
    EXPECT_EQ(v[i].grad[sizes[i] - 1], 2.0f * static_cast<float>(i + 1)) << i;
  }
  EXPECT_EQ(reducer.stats().bytes_per_step, 4 * (300100 + 250555));
  EXPECT_EQ(reducer.stats().steps, 1);
  // A rank without rows contributes zeros, in the same bucket order.
  reducer.begin_step();
  reducer.contribute_zero();
  reducer.finish();
  EXPECT_EQ(group.calls.size(), 4u);
  EXPECT_EQ(group.calls[2].elements, 250592u);
  EXPECT_EQ(group.blocking, (std::vector<size_t>{1, 3}));
  EXPECT_EQ(v[0].grad[0], 0.0f);
}

TEST(Distributed, DropoutRowsMatchTheWholeBatchAtTheirOffset) {
  auto be = default_backend();
  Dropout layer(0.5f, 42);
  Rng rng(1);
  layer.ensure_built({{8}}, rng);
  Tensor whole = Tensor::full({6, 8}, 1.0f), out_whole, out_part;
  Tensor part = Tensor::full({2, 8}, 1.0f);
  const Tensor* in_whole[] = {&whole};
  const Tensor* in_part[] = {&part};
  ForwardContext a{*be, true, 7, 0};
  layer.forward(a, in_whole, out_whole);
  ForwardContext b{*be, true, 7, 4};  // rows 4..5 of the global batch
  layer.forward(b, in_part, out_part);
  for (int64_t i = 0; i < 16; ++i) EXPECT_EQ(out_part[i], out_whole[4 * 8 + i]) << i;
}

}  // namespace
}  // namespace glia
