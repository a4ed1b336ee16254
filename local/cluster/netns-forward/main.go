// netns-forward: lets the processes of an extra local node (kubelet, kube-proxy, kube-router,
// all in that node's network namespace) reach the API server, which listens on the host's
// 127.0.0.1 only (cluster.sh: kwok bindAddress 127.0.0.1, review B3).
//
//	netns-forward /run/netns/tfn2 127.0.0.1:32764
//
// It opens its listening socket INSIDE the node's namespace, on that namespace's own loopback
// (setns on one locked thread, listen, setns back), then accepts there and dials the same
// address in the host namespace. So nothing new listens on the host or on any interface: only
// processes inside the node's namespace can connect, exactly as only host processes can reach
// the API server today. Bytes are copied as they are: TLS stays end to end, and the serving
// certificate already covers 127.0.0.1, so the node's kubeconfig is the host's, unchanged.
//
// Why not re-bind the API server or etcd on 0.0.0.0 or the veth: that opens them to more than
// the node (and etcd has no auth). Why not an INPUT rule on a veth-side listener: a rule can be
// flushed by another firewall tool; a socket in the node's namespace cannot be reached from
// elsewhere at all. Standard library only: no module download to build it.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
)

const cloneNewNet = 0x40000000

// setns(2)'s number: the syscall package does not name it on every architecture.
func sysSetns() uintptr {
	if runtime.GOARCH == "arm64" {
		return 268
	}
	return 308 // amd64
}

func setns(fd uintptr) error {
	if _, _, e := syscall.RawSyscall(sysSetns(), fd, cloneNewNet, 0); e != 0 {
		return e
	}
	return nil
}

// listenIn opens a TCP listener on addr inside the network namespace at nsPath.
func listenIn(nsPath, addr string) (net.Listener, error) {
	runtime.LockOSThread()
	host, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, err
	}
	defer host.Close()
	target, err := os.Open(nsPath)
	if err != nil {
		return nil, err
	}
	defer target.Close()
	if err := setns(target.Fd()); err != nil {
		return nil, fmt.Errorf("setns %s: %w", nsPath, err)
	}
	l, lerr := net.Listen("tcp", addr)
	if err := setns(host.Fd()); err != nil {
		// This thread stays in the node's namespace: leave it locked, so Go discards it.
		return nil, fmt.Errorf("setns back to the host: %w", err)
	}
	runtime.UnlockOSThread()
	return l, lerr
}

func pipe(c net.Conn, target string) {
	defer c.Close()
	u, err := net.Dial("tcp", target)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dial %s: %v\n", target, err)
		return
	}
	defer u.Close()
	done := make(chan struct{}, 2)
	cp := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if t, ok := dst.(*net.TCPConn); ok {
			_ = t.CloseWrite()
		}
		done <- struct{}{}
	}
	go cp(u, c)
	go cp(c, u)
	<-done
	<-done
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: netns-forward NETNS-PATH 127.0.0.1:PORT")
		os.Exit(2)
	}
	l, err := listenIn(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "listening on %s in %s, forwarding to %s in the host namespace\n", os.Args[2], os.Args[1], os.Args[2])
	for {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go pipe(c, os.Args[2])
	}
}
