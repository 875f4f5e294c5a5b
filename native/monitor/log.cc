#include "log.h"

#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"

namespace tsctr {
namespace {

constexpr size_t kMaxLine = 16 * 1024;

// Digits into p, right-aligned in `width` places.
char *put(char *p, unsigned long v, int width) {
    for (int i = width - 1; i >= 0; i--, v /= 10)
        p[i] = static_cast<char>('0' + v % 10);
    return p + width;
}

// RFC 3339 UTC with nanoseconds. Written by hand: strftime and snprintf pull in locale code
// and tables that would stay resident in every monitor for each line logged.
std::string now() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    // Days since the epoch to a civil date (Howard Hinnant's days_from_civil, inverted).
    long days = ts.tv_sec / 86400, secs = ts.tv_sec % 86400;
    long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long day = doy - (153 * mp + 2) / 5 + 1, month = mp < 10 ? mp + 3 : mp - 9;
    long year = yoe + era * 400 + (month <= 2);
    char buf[40], *p = buf;
    p = put(p, static_cast<unsigned long>(year), 4);
    *p++ = '-';
    p = put(p, static_cast<unsigned long>(month), 2);
    *p++ = '-';
    p = put(p, static_cast<unsigned long>(day), 2);
    *p++ = 'T';
    p = put(p, static_cast<unsigned long>(secs / 3600), 2);
    *p++ = ':';
    p = put(p, static_cast<unsigned long>(secs / 60 % 60), 2);
    *p++ = ':';
    p = put(p, static_cast<unsigned long>(secs % 60), 2);
    *p++ = '.';
    p = put(p, static_cast<unsigned long>(ts.tv_nsec), 9);
    *p++ = 'Z';
    return std::string(buf, static_cast<size_t>(p - buf));
}

} // namespace

bool Log::open(const std::string &path, uint64_t max_size, unsigned max_file) {
    path_ = path;
    max_size_ = max_size;
    max_file_ = max_file == 0 ? 1 : max_file;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd_ < 0)
        return false;
    struct stat st;
    size_ = fstat(fd_, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
    return true;
}

void Log::rotate() {
    // LOG.(n-2) → LOG.(n-1) … LOG → LOG.1; with one file, LOG starts again empty.
    for (unsigned i = max_file_ - 1; i >= 1; i--) {
        std::string from = i == 1 ? path_ : path_ + "." + std::to_string(i - 1);
        (void)rename(from.c_str(), (path_ + "." + std::to_string(i)).c_str());
    }
    int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
        close(fd_);
        fd_ = fd;
    } else if (max_file_ == 1) {
        (void)!ftruncate(fd_, 0);
    }
    size_ = 0;
}

void Log::record(int stream, const std::string &text, bool full) {
    std::string rec =
        now() + (stream == 2 ? " stderr" : " stdout") + (full ? " F " : " P ") + text + "\n";
    if (max_size_ > 0 && size_ > 0 && size_ + rec.size() > max_size_)
        rotate();
    // A full disk loses log lines, never the container.
    if (write_full(fd_, rec.data(), rec.size()) == 0)
        size_ += rec.size();
}

void Log::add(int stream, const char *data, size_t len) {
    if (fd_ < 0)
        return;
    std::string &pending = pending_[stream == 2 ? 1 : 0];
    pending.append(data, len);
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
        record(stream, pending.substr(start, nl - start), true);
    pending.erase(0, start);
    while (pending.size() >= kMaxLine) {
        record(stream, pending.substr(0, kMaxLine), false);
        pending.erase(0, kMaxLine);
    }
}

void Log::end(int stream) {
    std::string &pending = pending_[stream == 2 ? 1 : 0];
    if (fd_ >= 0 && !pending.empty())
        record(stream, pending, false);
    pending.clear();
}

} // namespace tsctr
