n = int(input())
d = n - 1
while n % d:
    d -= 1
print(d)
