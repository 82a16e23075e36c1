#include "util/trial_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace altup {

TrialLock::TrialLock(TrialLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

TrialLock& TrialLock::operator=(TrialLock&& other) noexcept {
    if (this != &other) {
        release();
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

TrialLock::~TrialLock() { release(); }

TrialLock TrialLock::try_acquire(const std::string& trial_dir) {
    const std::string path = trial_dir + "/.lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error(fmt::format("{}: cannot open lock file: {}", path, std::strerror(errno)));
    int rc;
    do rc = ::flock(fd, LOCK_EX | LOCK_NB);
    while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        ::close(fd);
        return TrialLock();
    }
    return TrialLock(fd);
}

bool TrialLock::held_elsewhere(const std::string& trial_dir) {
    const std::string path = trial_dir + "/.lock";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;  // never locked
    const bool busy = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(fd);  // closing drops a lock we may just have taken
    return busy;
}

void TrialLock::release() {
    if (fd_ < 0) return;
    ::close(fd_);  // the lock goes with the last descriptor of this open file
    fd_ = -1;
}

}  // namespace altup
