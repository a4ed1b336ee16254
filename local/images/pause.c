/*
 * The pod sandbox's first process (containerd's sandbox image): it holds the pod's namespaces
 * and does nothing else. Built by local/images/build.sh with `gcc -Os -static`, so the image is
 * this one file and needs no libc.
 *
 * - It sleeps in pause(): no CPU, no polling.
 * - As PID 1 of a pod that shares its PID namespace, it inherits orphans; SIGCHLD makes it
 *   reap them so they never pile up as zombies.
 * - SIGINT/SIGTERM exit 0: that is how the runtime stops a sandbox cleanly. PID 1 gets no
 *   default signal actions, so without handlers it could only be SIGKILLed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_stop(int sig) {
  (void)sig;
  _exit(0);
}

static void on_child(int sig) {
  (void)sig;
  /* Several children may exit before one SIGCHLD is delivered: reap until none is left. */
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    puts("pause (taskflow-api, local/images/pause.c)");
    return 0;
  }
  if (getpid() != 1) {
    /* Still works (tests run it directly), but say why it would not reap orphans. */
    fputs("pause: warning: not running as PID 1\n", stderr);
  }
  struct sigaction stop = {.sa_handler = on_stop};
  struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP | SA_RESTART};
  sigemptyset(&stop.sa_mask);
  sigemptyset(&child.sa_mask);
  if (sigaction(SIGINT, &stop, NULL) || sigaction(SIGTERM, &stop, NULL) || sigaction(SIGCHLD, &child, NULL)) {
    perror("pause: sigaction");
    return 1;
  }
  for (;;) pause();
  return 42; /* not reached */
}
