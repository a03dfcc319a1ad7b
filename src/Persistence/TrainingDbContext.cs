using Microsoft.EntityFrameworkCore;
using Training.V1;
using TrainingService.Persistence.Entities;

namespace TrainingService.Persistence;

public sealed class TrainingDbContext(DbContextOptions<TrainingDbContext> options) : DbContext(options)
{
    public DbSet<JobRecord> Jobs => Set<JobRecord>();

    public DbSet<RunRecord> Runs => Set<RunRecord>();

    public DbSet<StepMetricRecord> StepMetrics => Set<StepMetricRecord>();

    public DbSet<EpochMetricRecord> EpochMetrics => Set<EpochMetricRecord>();

    public DbSet<JobEventRecord> JobEvents => Set<JobEventRecord>();

    public DbSet<ModelRecord> Models => Set<ModelRecord>();

    public DbSet<CheckpointRecord> Checkpoints => Set<CheckpointRecord>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<JobRecord>(job =>
        {
            job.HasKey(j => j.Id);
            job.Property(j => j.SpecJson).HasColumnType("jsonb");
            job.Property(j => j.LatestMetricsJson).HasColumnType("jsonb");
            job.Property(j => j.ResultJson).HasColumnType("jsonb");
            job.Property(j => j.State).HasConversion<string>().HasMaxLength(32);
            job.Property(j => j.Name).HasMaxLength(200);
            job.HasIndex(j => new { j.CreatedAt, j.Id });
            job.HasIndex(j => new { j.State, j.CreatedAt });
        });

        modelBuilder.Entity<RunRecord>(run =>
        {
            run.HasKey(r => new { r.JobId, r.Attempt });
            run.HasOne<JobRecord>().WithMany().HasForeignKey(r => r.JobId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<StepMetricRecord>(step =>
        {
            step.HasKey(s => new { s.JobId, s.Step });
            step.HasOne<JobRecord>().WithMany().HasForeignKey(s => s.JobId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<EpochMetricRecord>(epoch =>
        {
            epoch.HasKey(e => new { e.JobId, e.Epoch });
            epoch.HasOne<JobRecord>().WithMany().HasForeignKey(e => e.JobId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<JobEventRecord>(jobEvent =>
        {
            jobEvent.HasKey(e => new { e.JobId, e.Sequence });
            jobEvent.Property(e => e.PayloadJson).HasColumnType("jsonb");
            jobEvent.Property(e => e.Kind).HasMaxLength(32);
            jobEvent.HasOne<JobRecord>().WithMany().HasForeignKey(e => e.JobId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<CheckpointRecord>(checkpoint =>
        {
            checkpoint.HasKey(c => c.JobId);
            checkpoint.HasOne<JobRecord>().WithOne().HasForeignKey<CheckpointRecord>(c => c.JobId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<ModelRecord>(model =>
        {
            model.HasKey(m => m.JobId);
            model.Property(m => m.SpecJson).HasColumnType("jsonb");
            model.Property(m => m.PreprocessingJson).HasColumnType("jsonb");
            model.Property(m => m.Format).HasMaxLength(64);
            model.HasOne<JobRecord>().WithOne().HasForeignKey<ModelRecord>(m => m.JobId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
