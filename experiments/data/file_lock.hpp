// An exclusive flock(2) on a lock file, held for the object's lifetime: two
// processes preparing the same data wait for each other instead of racing.
#pragma once
#include <string>

namespace altup {

class FileLock {
public:
    explicit FileLock(const std::string& path);  // blocks until acquired
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
private:
    int fd_ = -1;
};

}  // namespace altup
