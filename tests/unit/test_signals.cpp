// SPDX-License-Identifier: Apache-2.0
// Signal classification and the signalfd take-over.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "signals.h"

using namespace vigil;

TEST_SUITE("signals") {
  TEST_CASE("SIGCHLD means reap") { CHECK(classify(SIGCHLD) == SignalClass::Reap); }

  TEST_CASE("SIGTTIN and SIGTTOU are ignored by vigil itself") {
    CHECK(classify(SIGTTIN) == SignalClass::Ignore);
    CHECK(classify(SIGTTOU) == SignalClass::Ignore);
  }

  TEST_CASE("everything else is forwarded, synchronous and real-time signals included") {
    for (int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP,
                  SIGSEGV, SIGBUS, SIGFPE, SIGPIPE, SIGRTMIN, SIGRTMIN + 3, SIGRTMAX}) {
      CAPTURE(s);
      CHECK(classify(s) == SignalClass::Forward);
    }
  }

  TEST_CASE("blocks every signal and reads them from the signalfd, keeping the original mask") {
    sigset_t before;
    sigemptyset(&before);
    sigaddset(&before, SIGUSR2);
    REQUIRE(::sigprocmask(SIG_SETMASK, &before, nullptr) == 0);
    sigset_t original;
    auto fd = takeOverSignals(&original);
    REQUIRE(fd);
    CHECK(sigismember(&original, SIGUSR2) == 1);
    CHECK(sigismember(&original, SIGTERM) == 0);
    sigset_t now;
    ::sigprocmask(SIG_SETMASK, nullptr, &now);
    CHECK(sigismember(&now, SIGTERM) == 1);
    CHECK(sigismember(&now, SIGSEGV) == 1);
    ::kill(::getpid(), SIGSEGV);  // blocked: queued for the signalfd, not fatal
    signalfd_siginfo si{};
    REQUIRE(::read(fd->get(), &si, sizeof si) == static_cast<ssize_t>(sizeof si));
    CHECK(si.ssi_signo == static_cast<unsigned>(SIGSEGV));
    CHECK(static_cast<pid_t>(si.ssi_pid) == ::getpid());
    ::sigprocmask(SIG_SETMASK, &original, nullptr);
  }

  TEST_CASE("targets have event names") {
    CHECK(std::string(targetName(SignalTarget::Child)) == "child");
    CHECK(std::string(targetName(SignalTarget::Group)) == "group");
    CHECK(std::string(targetName(SignalTarget::All)) == "all");
  }
}
