#include "experiments/trainer/distributed.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#ifdef ALTUP_WITH_MPI
#include <mpi.h>
#endif

namespace altup {

namespace {
#ifdef ALTUP_WITH_MPI
// Launched by mpirun/srun? (Only then is MPI_Init worth its start-up cost.)
bool under_mpi_launcher() {
    for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "SLURM_STEP_NUM_TASKS"})
        if (std::getenv(v)) return true;
    return false;
}
#endif
}  // namespace

Distributed::Distributed() {
#ifdef ALTUP_WITH_MPI
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized && under_mpi_launcher()) {
        MPI_Init(nullptr, nullptr);
        owns_mpi_ = true;
        initialized = 1;
    }
    if (initialized) {
        MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
        MPI_Comm_size(MPI_COMM_WORLD, &size_);
    }
#endif
}

Distributed::~Distributed() {
#ifdef ALTUP_WITH_MPI
    if (owns_mpi_) MPI_Finalize();
#endif
}

void Distributed::allreduce_mean(float* data, int64_t n) const {
    if (size_ == 1) return;
#ifdef ALTUP_WITH_MPI
    // Chunks stay below INT_MAX elements; a model's gradients are usually one chunk.
    constexpr int64_t kChunk = int64_t(1) << 30;
    for (int64_t off = 0; off < n; off += kChunk) {
        const int count = static_cast<int>(std::min(kChunk, n - off));
        MPI_Allreduce(MPI_IN_PLACE, data + off, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
    const float inv = 1.0f / float(size_);
    for (int64_t i = 0; i < n; ++i) data[i] *= inv;
#else
    (void)data;
    (void)n;
#endif
}

void Distributed::broadcast(float* data, int64_t n) const {
    if (size_ == 1) return;
#ifdef ALTUP_WITH_MPI
    constexpr int64_t kChunk = int64_t(1) << 30;
    for (int64_t off = 0; off < n; off += kChunk)
        MPI_Bcast(data + off, static_cast<int>(std::min(kChunk, n - off)), MPI_FLOAT, 0, MPI_COMM_WORLD);
#else
    (void)data;
    (void)n;
#endif
}

bool Distributed::any(bool flag) const {
    if (size_ == 1) return flag;
#ifdef ALTUP_WITH_MPI
    int local = flag ? 1 : 0, global = 0;
    MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return global != 0;
#else
    return flag;
#endif
}

Distributed& distributed() {
    static Distributed d;
    return d;
}

}  // namespace altup
