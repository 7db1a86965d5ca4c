import sys
lines = sys.stdin.read().split("\n")
n = int(lines[0])
assert 1 <= n <= 100 and len(lines[1].split()) == n
sys.exit(42)
