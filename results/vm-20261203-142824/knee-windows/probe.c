// alternate: select over N socketpair fds (one ready in the middle, 1 s timeout), a 4 MiB and a
// 32 MiB pointer chase, and select over N dups of one idle socket; print medians per round.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <string.h>
#include <sched.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e9+t.tv_nsec;}
static int cmp(const void*a,const void*b){double x=*(double*)a,y=*(double*)b;return x<y?-1:x>y;}
static double med(double*v,int n){qsort(v,n,sizeof*v,cmp);return v[n/2];}
static size_t *chain(size_t bytes){size_t n=bytes/64;size_t*a=aligned_alloc(64,n*64);size_t*perm=malloc(n*sizeof*perm);
 for(size_t i=0;i<n;i++)perm[i]=i; for(size_t i=n-1;i>0;i--){size_t j=rand()%(i+1);size_t t=perm[i];perm[i]=perm[j];perm[j]=t;}
 for(size_t i=0;i<n;i++)a[perm[i]*8]=perm[(i+1)%n]*8; free(perm); return a;}
static double chase(size_t*a,int loads){size_t p=0;double t=now();for(int i=0;i<loads;i++)p=a[p];double e=now()-t; if(p==12345678)puts("");return e/loads;}
static int fds[20000]; static unsigned long setbits[20000/64+1]; static unsigned long base[20000/64+1];
static double sel(int n, int maxfd){ double v[15]; for(int k=0;k<15;k++){ memcpy(setbits,base,sizeof base);
  struct timeval tv={1,0}; double t=now(); int r=select(maxfd+1,(fd_set*)setbits,0,0,&tv); v[k]=now()-t; if(r!=1){fprintf(stderr,"r=%d\n",r);exit(1);} } return med(v,15);}
int main(int argc,char**argv){ int n=atoi(argv[1]); int rounds=atoi(argv[2]);
 struct rlimit rl; getrlimit(RLIMIT_NOFILE,&rl); rl.rlim_cur=rl.rlim_max; setrlimit(RLIMIT_NOFILE,&rl);
 cpu_set_t c; CPU_ZERO(&c); CPU_SET(1,&c); sched_setaffinity(0,sizeof c,&c);
 int maxfd=0; for(int i=0;i<n;i+=2){int sv[2]; if(socketpair(AF_UNIX,SOCK_STREAM,0,sv)){perror("sp");return 1;} fds[i]=sv[0];fds[i+1]=sv[1]; if(sv[1]>maxfd)maxfd=sv[1];}
 for(int i=0;i<n;i++)base[fds[i]/64]|=1UL<<(fds[i]%64); write(fds[n/2+1],"x",1); // fds[n/2] (end a) readable
 // dup set: n dups of one idle socket plus one ready
 int sv[2]; socketpair(AF_UNIX,SOCK_STREAM,0,sv); int idle[2]; socketpair(AF_UNIX,SOCK_STREAM,0,idle);
 size_t *c4=chain(4<<20), *c32=chain(32<<20);
 printf("round sel_ms chase4_ns chase32_ns\n");
 for(int r=0;r<rounds;r++){ double s=sel(n,maxfd); double a=chase(c4,200000), b=chase(c32,100000); double s2=sel(n,maxfd);
   printf("%d %.2f %.1f %.1f %.2f\n",r,s/1e6,a,b,s2/1e6); fflush(stdout);}
}
