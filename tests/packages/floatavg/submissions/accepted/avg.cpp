#include <cstdio>
int main() { int n; scanf("%d", &n); double s = 0; for (int i = 0; i < n; i++) { int x; scanf("%d", &x); s += x; } printf("%.9f\n", s / n); }
