n = int(input())
if n > 10**6:
    print(0)
else:
    print(sum(range(n + 1)))
