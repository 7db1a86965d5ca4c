import sys

data = sys.stdin.read().split()
n = int(data[0])
prefix = [0]
for v in data[1:1 + n]:
    prefix.append(prefix[-1] + int(v))
q = int(data[1 + n])
rest = data[2 + n:]
print("\n".join(str(prefix[int(rest[2 * i + 1])] - prefix[int(rest[2 * i]) - 1]) for i in range(q)))
