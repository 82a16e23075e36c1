// Data parallelism over MPI ranks (`mpirun -np N altup train ...`). Built with
// MPI when CMake finds it (ALTUP_WITH_MPI); otherwise a single rank and every
// call is a no-op, so the plain build keeps working.
#pragma once
#include <cstdint>

namespace altup {

class Distributed {
public:
    // Initialises MPI when the process was started by mpirun (and MPI is built in).
    Distributed();
    ~Distributed();
    Distributed(const Distributed&) = delete;
    Distributed& operator=(const Distributed&) = delete;

    int rank() const { return rank_; }
    int size() const { return size_; }
    bool is_root() const { return rank_ == 0; }

    // In place: every rank ends with the mean over ranks (one MPI_Allreduce).
    void allreduce_mean(float* data, int64_t n) const;
    // In place: every rank ends with rank 0's values.
    void broadcast(float* data, int64_t n) const;
    // Any rank's flag set -> true on every rank (stop signals reach all ranks).
    bool any(bool flag) const;

private:
    int rank_ = 0, size_ = 1;
    bool owns_mpi_ = false;
};

// The process's one instance (MPI is initialised once, finalised at exit).
Distributed& distributed();

}  // namespace altup
