# Runs a command (argv, no shell) under a pseudo-terminal of 100 columns, as a person's terminal
# would, copies everything it wrote to stdout and exits with its exit code. For the tests of the
# live step view: `python3 test/support/pty-run.py node dist/cli/bin.js deploy …`.
import fcntl
import os
import pty
import struct
import sys
import termios

pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    os.execvp(sys.argv[1], sys.argv[1:])
out = bytearray()
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.stdout.flush()
sys.exit(os.waitstatus_to_exitcode(status))
