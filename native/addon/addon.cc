// The Node-API surface of tsctr's native core (typed in native/tsctr.d.ts). Each function does
// one syscall-sized job; what to spawn, with which namespaces and ids, is decided in TypeScript.
#include <napi.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>

#include "helpers.h"
#include "spawn.h"
#include "userns-read.h"

// libcrypto as the running Node carries it: every Node binary exports OpenSSL's symbols to
// addons (the pinned one links it statically and exports them; distribution builds link the
// shared library). Loading node:crypto for one hash cost `run` ~3.3 ms of its start-up.
struct evp_md_st;
extern "C" const evp_md_st *EVP_sha256(void);
extern "C" int EVP_Digest(const void *data, size_t count, unsigned char *md, unsigned int *size,
                          const evp_md_st *type, void *engine);

namespace {

Napi::Error errno_error(Napi::Env env, const char *syscall, int err) {
    Napi::Error e = Napi::Error::New(env, std::string(syscall) + ": " + strerror(err));
    e.Set("syscall", Napi::String::New(env, syscall));
    e.Set("errno", Napi::Number::New(env, err));
    e.Set("code", Napi::String::New(env, strerrorname_np(err) ? strerrorname_np(err) : "EUNKNOWN"));
    return e;
}

std::vector<std::string> string_array(Napi::Value v) {
    std::vector<std::string> out;
    if (!v.IsArray())
        return out;
    Napi::Array a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); i++)
        out.push_back(a.Get(i).ToString().Utf8Value());
    return out;
}

// spawnHeld({ file, argv, env, cloneFlags, stdio, setsid }) → { pid, goFd, errFd }
Napi::Value SpawnHeld(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) {
        Napi::TypeError::New(env, "spawnHeld expects an options object")
            .ThrowAsJavaScriptException();
        return env.Undefined();
    }
    Napi::Object o = info[0].As<Napi::Object>();
    tsctr::SpawnRequest req;
    req.file = o.Get("file").ToString().Utf8Value();
    req.argv = string_array(o.Get("argv"));
    req.env = string_array(o.Get("env"));
    req.clone_flags = static_cast<unsigned long>(o.Get("cloneFlags").ToNumber().Int64Value());
    Napi::Value stdio = o.Get("stdio");
    if (stdio.IsArray()) {
        Napi::Array a = stdio.As<Napi::Array>();
        for (uint32_t i = 0; i < a.Length(); i++)
            req.stdio.push_back(a.Get(i).ToNumber().Int32Value());
    }
    req.setsid = o.Get("setsid").ToBoolean().Value();
    if (req.argv.empty())
        req.argv.push_back(req.file);

    tsctr::HeldChild child;
    const char *syscall = "";
    if (tsctr::spawn_held(req, child, syscall) < 0) {
        errno_error(env, syscall, errno).ThrowAsJavaScriptException();
        return env.Undefined();
    }
    Napi::Object r = Napi::Object::New(env);
    r.Set("pid", Napi::Number::New(env, child.pid));
    r.Set("goFd", Napi::Number::New(env, child.go_fd));
    r.Set("errFd", Napi::Number::New(env, child.err_fd));
    return r;
}

// release(goFd, errFd) → 0 when the child's exec succeeded, else its errno
Napi::Value Release(const Napi::CallbackInfo &info) {
    int go = info[0].ToNumber().Int32Value();
    int err = info[1].ToNumber().Int32Value();
    return Napi::Number::New(info.Env(), tsctr::release_held(go, err));
}

// waitpid(pid, block) → { code, signal } | null (still running, only when block is false)
Napi::Value WaitPid(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    pid_t pid = info[0].ToNumber().Int32Value();
    bool block = info[1].ToBoolean().Value();
    int status = 0;
    pid_t r;
    do {
        r = waitpid(pid, &status, block ? 0 : WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        errno_error(env, "waitpid", errno).ThrowAsJavaScriptException();
        return env.Undefined();
    }
    if (r == 0)
        return env.Null();
    Napi::Object o = Napi::Object::New(env);
    o.Set("code", WIFEXITED(status) ? Napi::Value(Napi::Number::New(env, WEXITSTATUS(status)))
                                    : env.Null());
    o.Set("signal",
          WIFSIGNALED(status) ? Napi::Value(Napi::Number::New(env, WTERMSIG(status))) : env.Null());
    return o;
}

// runHelpers([[path, ...args], …]) → [{ code, signal, errno, stderr }, …]: runs the programs at
// once and waits for all of them (helpers.h).
Napi::Value RunHelpers(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    Napi::Array list = info[0].As<Napi::Array>();
    std::vector<tsctr::HelperRun> runs(list.Length());
    for (uint32_t i = 0; i < list.Length(); i++) {
        Napi::Array argv = list.Get(i).As<Napi::Array>();
        for (uint32_t j = 0; j < argv.Length(); j++)
            runs[i].argv.push_back(argv.Get(j).As<Napi::String>().Utf8Value());
        if (runs[i].argv.empty()) {
            Napi::TypeError::New(env, "runHelpers: an empty command").ThrowAsJavaScriptException();
            return env.Undefined();
        }
    }
    tsctr::run_helpers(runs);
    Napi::Array out = Napi::Array::New(env, runs.size());
    for (uint32_t i = 0; i < runs.size(); i++) {
        Napi::Object o = Napi::Object::New(env);
        o.Set("code", Napi::Number::New(env, runs[i].code));
        o.Set("signal", Napi::Number::New(env, runs[i].signal));
        o.Set("errno", Napi::Number::New(env, runs[i].spawn_errno));
        o.Set("stderr", Napi::String::New(env, runs[i].stderr_text));
        out.Set(i, o);
    }
    return out;
}

// Two new fds as a JS array, or the syscall's error thrown.
Napi::Value fd_pair(Napi::Env env, const char *syscall, int rc, const int fds[2]) {
    if (rc < 0) {
        errno_error(env, syscall, errno).ThrowAsJavaScriptException();
        return env.Undefined();
    }
    Napi::Array a = Napi::Array::New(env, 2);
    a.Set(0u, Napi::Number::New(env, fds[0]));
    a.Set(1u, Napi::Number::New(env, fds[1]));
    return a;
}

// pipe() → [readFd, writeFd], both close-on-exec (spawnHeld's stdio mapping clears it in the
// child). Node has no pipe(2) of its own; the ends are wrapped in net.Socket by the caller.
Napi::Value Pipe(const Napi::CallbackInfo &info) {
    int fds[2];
    return fd_pair(info.Env(), "pipe2", pipe2(fds, O_CLOEXEC), fds);
}

// socketpair() → [fd, fd]: a connected AF_UNIX stream pair, both close-on-exec. One end goes to
// the monitor as its first client (native/monitor/io.h), the other is wrapped in net.Socket.
Napi::Value SocketPair(const Napi::CallbackInfo &info) {
    int fds[2];
    return fd_pair(info.Env(), "socketpair",
                   socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), fds);
}

// setOutputProcessing(fd, on) → 0 or the errno: the terminal's OPOST flag. libuv's raw mode
// leaves output processing on, so a container's pty output (already \r\n) would gain a second
// \r; docker's raw mode turns it off. Node's setRawMode(false) restores the saved termios.
Napi::Value SetOutputProcessing(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    int fd = info[0].As<Napi::Number>().Int32Value();
    bool on = info[1].As<Napi::Boolean>().Value();
    termios t;
    if (tcgetattr(fd, &t) < 0)
        return Napi::Number::New(env, errno);
    if (on)
        t.c_oflag |= OPOST;
    else
        t.c_oflag &= ~static_cast<tcflag_t>(OPOST);
    return Napi::Number::New(env, tcsetattr(fd, TCSANOW, &t) < 0 ? errno : 0);
}

// randomBytes(n) → Buffer of n bytes from the kernel's CSPRNG (getrandom(2), which blocks only
// before the pool is first initialised at boot). IDs and names need nothing more than that.
Napi::Value RandomBytes(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    int64_t want = info[0].ToNumber().Int64Value();
    if (want < 0 || want > 65536) {
        Napi::RangeError::New(env, "randomBytes: 0 to 65536 bytes").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, static_cast<size_t>(want));
    size_t got = 0;
    while (got < out.Length()) {
        ssize_t n = getrandom(out.Data() + got, out.Length() - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            errno_error(env, "getrandom", errno).ThrowAsJavaScriptException();
            return env.Undefined();
        }
        got += static_cast<size_t>(n);
    }
    return out;
}

// sha256(text) → the lower-case hex SHA-256 of the string's UTF-8 bytes.
Napi::Value Sha256(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::string data = info[0].ToString().Utf8Value();
    unsigned char md[32];
    unsigned int len = 0;
    if (!EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) || len != 32) {
        Napi::Error::New(env, "sha256: EVP_Digest failed").ThrowAsJavaScriptException();
        return env.Undefined();
    }
    static const char hex[] = "0123456789abcdef";
    char text[64];
    for (int i = 0; i < 32; i++) {
        text[2 * i] = hex[md[i] >> 4];
        text[2 * i + 1] = hex[md[i] & 15];
    }
    return Napi::String::New(env, text, 64);
}

// flock(fd, exclusive, wait) → 0, or the errno (EWOULDBLOCK when !wait and it is held).
// The kernel drops the lock when the last fd to it closes, so a SIGKILLed holder frees it.
Napi::Value Flock(const Napi::CallbackInfo &info) {
    int fd = info[0].ToNumber().Int32Value();
    int op = info[1].ToBoolean().Value() ? LOCK_EX : LOCK_SH;
    if (!info[2].ToBoolean().Value())
        op |= LOCK_NB;
    int r;
    do {
        r = flock(fd, op);
    } while (r < 0 && errno == EINTR);
    return Napi::Number::New(info.Env(), r < 0 ? errno : 0);
}

// getxattr(path, name) → Buffer, or null when the file has no such attribute.
Napi::Value GetXattr(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    std::string path = info[0].ToString().Utf8Value();
    std::string name = info[1].ToString().Utf8Value();
    char buf[4096];
    ssize_t n = getxattr(path.c_str(), name.c_str(), buf, sizeof buf);
    if (n < 0) {
        if (errno == ENODATA || errno == ENOTSUP)
            return env.Null();
        errno_error(env, "getxattr", errno).ThrowAsJavaScriptException();
        return env.Undefined();
    }
    return Napi::Buffer<char>::Copy(env, buf, static_cast<size_t>(n));
}

// readInUserns(nsPid, paths) → per path a Buffer, or the errno that kept it (a number).
Napi::Value ReadInUserns(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    pid_t pid = static_cast<pid_t>(info[0].ToNumber().Int32Value());
    std::vector<tsctr::ReadResult> res = tsctr::read_in_userns(pid, string_array(info[1]));
    Napi::Array out = Napi::Array::New(env, res.size());
    for (uint32_t i = 0; i < res.size(); i++) {
        if (res[i].err)
            out.Set(i, Napi::Number::New(env, res[i].err));
        else
            out.Set(i, Napi::Buffer<char>::Copy(env, res[i].data.data(), res[i].data.size()));
    }
    return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
    exports.Set("readInUserns", Napi::Function::New(env, ReadInUserns));
    exports.Set("flock", Napi::Function::New(env, Flock));
    exports.Set("getxattr", Napi::Function::New(env, GetXattr));
    exports.Set("pipe", Napi::Function::New(env, Pipe));
    exports.Set("socketpair", Napi::Function::New(env, SocketPair));
    exports.Set("randomBytes", Napi::Function::New(env, RandomBytes));
    exports.Set("runHelpers", Napi::Function::New(env, RunHelpers));
    exports.Set("sha256", Napi::Function::New(env, Sha256));
    exports.Set("setOutputProcessing", Napi::Function::New(env, SetOutputProcessing));
    exports.Set("spawnHeld", Napi::Function::New(env, SpawnHeld));
    exports.Set("release", Napi::Function::New(env, Release));
    exports.Set("waitpid", Napi::Function::New(env, WaitPid));
    Napi::Object c = Napi::Object::New(env);
    c.Set("CLONE_NEWUSER", Napi::Number::New(env, CLONE_NEWUSER));
    c.Set("CLONE_NEWNS", Napi::Number::New(env, CLONE_NEWNS));
    c.Set("CLONE_NEWPID", Napi::Number::New(env, CLONE_NEWPID));
    c.Set("CLONE_NEWUTS", Napi::Number::New(env, CLONE_NEWUTS));
    c.Set("CLONE_NEWIPC", Napi::Number::New(env, CLONE_NEWIPC));
    c.Set("CLONE_NEWNET", Napi::Number::New(env, CLONE_NEWNET));
    c.Set("CLONE_NEWCGROUP", Napi::Number::New(env, CLONE_NEWCGROUP));
    exports.Set("constants", c);
    return exports;
}

} // namespace

NODE_API_MODULE(tsctr_native, Init)
