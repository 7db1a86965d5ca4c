#include <cstdio>
int main() { long long n; scanf("%lld", &n); printf("%lld 1\n", n - 1); }
